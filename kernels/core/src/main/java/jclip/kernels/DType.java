package jclip.kernels;

/**
 * Element types. Arithmetic runs in F32 (and I32/I64 for indices); F16 and BF16 are storage types
 * that convert to and from F32; U8 and BOOL exist so that any safetensors file can be read.
 */
public enum DType {
    F32(4, true),
    F16(2, true),
    BF16(2, true),
    I32(4, false),
    I64(8, false),
    U8(1, false),
    BOOL(1, false);

    private final int byteSize;
    private final boolean floatingPoint;

    DType(int byteSize, boolean floatingPoint) {
        this.byteSize = byteSize;
        this.floatingPoint = floatingPoint;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    public boolean isIndex() {
        return this == I32 || this == I64;
    }

    /** A host array for n elements: float[] (F32), short[] (F16, BF16 bits), int[], long[], byte[] (U8, BOOL). */
    public Object newHostArray(int n) {
        return switch (this) {
            case F32 -> new float[n];
            case F16, BF16 -> new short[n];
            case I32 -> new int[n];
            case I64 -> new long[n];
            case U8, BOOL -> new byte[n];
        };
    }
}
