package jclip.kernels.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jclip.kernels.Buffer;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.JCudaDriver;

/**
 * One kernel of a loaded PTX module. Arguments are appended in order ({@link #pointer}, {@link #i32},
 * {@link #f32}, {@link #ints}, ...) and {@link #launch} sends them. Every argument's size is checked
 * against the PTX parameter list, and a launch with too few arguments fails before reaching the
 * driver. The argument values live in one direct buffer made when the kernel is first looked up, so a
 * launch allocates nothing on the Java side. One launch at a time per kernel: a second thread that
 * starts appending arguments while another thread's launch is being put together is refused.
 */
public final class CudaKernel {
    private final CudaDevice device;
    private final String name;
    private final String module;
    private final String kernel;
    private CUfunction function;
    private int generation;  // the device's, when function was looked up
    private final int[] sizes;
    private final int[] offsets;
    private final ByteBuffer values;
    private final Pointer parameters;
    private int next;
    private Thread filling;

    CudaKernel(CudaDevice device, String module, String kernel, CUfunction function, int[] sizes) {
        this.device = device;
        this.module = module;
        this.kernel = kernel;
        this.name = module + "." + kernel;
        this.function = function;
        this.generation = device.generation();
        this.sizes = sizes;
        this.offsets = new int[sizes.length];
        int end = 0;
        for (int i = 0; i < sizes.length; i++) {
            offsets[i] = end;
            end += (sizes[i] + 7) & ~7;
        }
        this.values = ByteBuffer.allocateDirect(Math.max(end, 8)).order(ByteOrder.nativeOrder());
        Pointer[] slots = new Pointer[sizes.length];
        for (int i = 0; i < sizes.length; i++) slots[i] = Pointer.to(values).withByteOffset(offsets[i]);
        this.parameters = Pointer.to(slots);
    }

    /** module.kernel, as used in error messages. */
    public String name() {
        return name;
    }

    /** The device address of element {@code elementOffset} of a buffer on this kernel's device. */
    public CudaKernel pointer(Buffer buffer, long elementOffset) {
        int at = slot(8, "a pointer");
        try {
            CudaBuffer b = device.cudaBuffer(buffer, name);
            if (elementOffset < 0 || elementOffset > b.length())
                throw new IndexOutOfBoundsException(name + " argument " + (next - 1) + ": element offset " + elementOffset
                        + " outside a buffer of " + b.length());
            values.putLong(at, b.address() + elementOffset * b.dtype().byteSize());
        } catch (RuntimeException e) {
            throw abandon(e);
        }
        return this;
    }

    public CudaKernel i32(int value) {
        values.putInt(slot(4, "an int"), value);
        return this;
    }

    public CudaKernel i64(long value) {
        values.putLong(slot(8, "a long"), value);
        return this;
    }

    public CudaKernel f32(float value) {
        values.putFloat(slot(4, "a float"), value);
        return this;
    }

    /** A by-value struct of {@code count} int32 values: {@code values} padded with zeros. */
    public CudaKernel ints(int[] ints, int count) {
        int at = slot(4 * count, "a struct of " + count + " ints");
        if (ints.length > count)
            throw abandon(new IllegalArgumentException(name + ": " + ints.length + " values do not fit a struct of " + count + " ints"));
        for (int i = 0; i < count; i++) values.putInt(at + 4 * i, i < ints.length ? ints[i] : 0);
        return this;
    }

    /** A one-dimensional launch. */
    public void launch(int gridX, int blockX, int sharedBytes) {
        launch(gridX, 1, 1, blockX, 1, 1, sharedBytes);
    }

    public void launch(int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, int sharedBytes) {
        int given = next;
        next = 0;
        if (given != sizes.length)
            throw new IllegalArgumentException(name + " takes " + sizes.length + " arguments (PTX .entry), given " + given);
        device.makeCurrent();
        if (generation != device.generation()) {
            // The device was reset: its modules were loaded again, and this kernel's handle with them.
            function = device.function(module, kernel);
            generation = device.generation();
        }
        int status = JCudaDriver.cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes,
                device.stream().handle(), parameters, null);
        if (status != 0) {
            throw CudaException.driver(status, "cuLaunchKernel(" + name + ", grid " + gridX + "x" + gridY + "x" + gridZ
                    + ", block " + blockX + "x" + blockY + "x" + blockZ + ", " + sharedBytes + " B shared)");
        }
    }

    /** The byte offset of the next argument, after checking that the PTX declares it with this size. */
    private int slot(int size, String what) {
        Thread current = Thread.currentThread();
        if (next == 0) filling = current;
        else if (filling != current)
            throw new IllegalStateException(name + " is being launched by " + filling.getName() + "; " + current.getName()
                    + " must not append arguments to it at the same time");
        int i = next;
        if (i >= sizes.length)
            throw abandon(new IllegalArgumentException(name + " takes " + sizes.length + " arguments (PTX .entry), given more"));
        if (sizes[i] != size) {
            throw abandon(new IllegalArgumentException(name + " argument " + i + " is " + sizes[i] + " bytes in the PTX, given "
                    + what + " (" + size + " bytes)"));
        }
        next++;
        return offsets[i];
    }

    /** Drops the arguments appended so far, so that the next launch starts from the first. */
    private RuntimeException abandon(RuntimeException e) {
        next = 0;
        return e;
    }
}
