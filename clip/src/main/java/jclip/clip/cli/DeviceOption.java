package jclip.clip.cli;

import jclip.tensor.Device;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** --device cpu|cuda|cuda:N, shared by the commands that compute. */
final class DeviceOption {
    @Option(names = "--device", converter = Name.class,
            description = "cpu (default), cuda or cuda:N: the machine's GPU, or the simulated GPU when JCLIP_CUDA=sim.")
    String device;

    /** The spelling, checked at parse time like the numeric {@link Flags}; whether the device exists is asked in resolve(). */
    static final class Name implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (!value.matches("cpu|cuda|cuda:\\d{1,9}"))
                throw new TypeConversionException("'" + value + "' is not cpu, cuda or cuda:N (N = 0, 1, ...)");
            return value;
        }
    }

    Device resolve() {
        try {
            return Device.parse(device == null ? "cpu" : device);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalArgumentException("--device " + device + ": " + e.getMessage(), e);
        }
    }
}
