package jclip.clip.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The ranges of numeric flags, checked while picocli parses the command line: a value out of
 * range stops the command before it reads or writes anything, with one line naming the flag
 * ("Invalid value for option '--batch-size': 0 is not a positive whole number"). Every numeric
 * flag of every command names one of these as its {@code converter}; a check inside a command
 * would run after files were opened, and a 0 batch size loops forever.
 */
final class Flags {
    private Flags() {}

    /** 1, 2, 3, ...: sizes, counts, steps. */
    static final class Positive implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            int v = parseInt(value);
            if (v < 1) throw new TypeConversionException(value + " is not a positive whole number");
            return v;
        }
    }

    /** 0, 1, 2, ...: where 0 means none or off. */
    static final class NonNegative implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            int v = parseInt(value);
            if (v < 0) throw new TypeConversionException(value + " is negative");
            return v;
        }
    }

    /** A finite number above 0 (NaN and Infinity parse as doubles, and would train NaN weights). */
    static final class PositiveReal implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double v = parseFinite(value);
            if (v <= 0) throw new TypeConversionException(value + " is not above 0");
            return v;
        }
    }

    /** A finite number, 0 or above. */
    static final class NonNegativeReal implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double v = parseFinite(value);
            if (v < 0) throw new TypeConversionException(value + " is negative");
            return v;
        }
    }

    /** A fraction strictly between 0 and 1. */
    static final class Fraction implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double v = parseFinite(value);
            if (!(v > 0 && v < 1)) throw new TypeConversionException(value + " is not between 0 and 1");
            return v;
        }
    }

    private static int parseInt(String value) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a whole number");
        }
    }

    private static double parseFinite(String value) {
        double v;
        try {
            v = Double.parseDouble(value.strip());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a number");
        }
        if (!Double.isFinite(v)) throw new TypeConversionException(value + " is not a finite number");
        return v;
    }
}
