package jclip.kernels.cuda.sim;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuGetErrorString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.AfterEach;

/**
 * What the simulated GPU's tests share: the simulator's libraries loaded, device 0's primary context
 * made current, test kernels' PTX, device memory freed after each test, seeded random inputs, the
 * element-wise comparison and the check of a failing call's status.
 */
abstract class SimulatedGpuTest {
    private static final String LIBRARIES = "jclip/kernels/cuda/sim/";

    private final List<CUdeviceptr> allocations = new ArrayList<>();
    final Random random = new Random(20261123);

    /**
     * Loads the simulator's libraries in the order jclip.kernels.cuda.SimulatedGpu loads them (the
     * driver stand-in first: the others find it by soname), then each of {@code kernelLibraries}
     * (resource paths). Must run before any JCuda class loads. These tests take the libraries from
     * this module's build folders, where they load in place; loading one twice is harmless.
     */
    static void loadSimulator(String... kernelLibraries) {
        for (String name : List.of("libcuda.so.1", "libcublas.so.12", "libcudnn.so.9", "libjclip-kernels.so")) {
            loadInPlace(LIBRARIES + name);
        }
        for (String resource : kernelLibraries) loadInPlace(resource);
    }

    private static void loadInPlace(String resource) {
        URL url = SimulatedGpuTest.class.getClassLoader().getResource(resource);
        if (url == null) throw new IllegalStateException(resource + " is not on the class path (src/main/native/Makefile builds it)");
        if (!url.getProtocol().equals("file")) throw new IllegalStateException(resource + " is not a file but " + url);
        try {
            System.load(Paths.get(url.toURI()).toString());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("bad resource address " + url, e);
        }
    }

    /** With JCuda's exceptions on; the simulator's libraries must already be loaded. */
    static CUdevice makePrimaryContextCurrent() {
        JCudaDriver.setExceptionsEnabled(true);
        cuInit(0);
        CUdevice device = new CUdevice();
        cuDeviceGet(device, 0);
        CUcontext context = new CUcontext();
        cuDevicePrimaryCtxRetain(context, device);
        cuCtxSetCurrent(context);
        return device;
    }

    /** A test kernel file's PTX (a class-path resource), NUL-terminated as cuModuleLoadData wants it. */
    static byte[] ptx(String resource) throws IOException {
        try (InputStream in = SimulatedGpuTest.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException(resource + " is not on the class path (nvcc missing?)");
            byte[] text = in.readAllBytes();
            return Arrays.copyOf(text, text.length + 1);
        }
    }

    static void assertStatus(int status, Runnable call) {
        CudaException e = assertThrows(CudaException.class, call::run);
        assertEquals(CUresult.stringFor(status), e.getMessage());
    }

    /** The driver's explanation of the last failure with this status. */
    static String errorString(int status) {
        String[] text = new String[1];
        cuGetErrorString(status, text);
        return text[0];
    }

    @AfterEach
    void freeDeviceMemory() {
        allocations.forEach(JCudaDriver::cuMemFree);
        allocations.clear();
    }

    /** At least one byte: the driver refuses empty allocations. */
    CUdeviceptr alloc(long bytes) {
        CUdeviceptr pointer = new CUdeviceptr();
        cuMemAlloc(pointer, Math.max(bytes, 1));
        allocations.add(pointer);
        return pointer;
    }

    CUdeviceptr upload(Pointer host, long bytes) {
        CUdeviceptr pointer = alloc(bytes);
        cuMemcpyHtoD(pointer, host, bytes);
        return pointer;
    }

    CUdeviceptr upload(float[] host) {
        return upload(Pointer.to(host), (long) host.length * Sizeof.FLOAT);
    }

    CUdeviceptr upload(int[] host) {
        return upload(Pointer.to(host), (long) host.length * Sizeof.INT);
    }

    CUdeviceptr upload(short[] host) {
        return upload(Pointer.to(host), (long) host.length * Sizeof.SHORT);
    }

    static float[] downloadFloats(CUdeviceptr pointer, int n) {
        float[] values = new float[n];
        cuMemcpyDtoH(Pointer.to(values), pointer, (long) n * Sizeof.FLOAT);
        return values;
    }

    static int[] downloadInts(CUdeviceptr pointer, int n) {
        int[] values = new int[n];
        cuMemcpyDtoH(Pointer.to(values), pointer, (long) n * Sizeof.INT);
        return values;
    }

    static short[] downloadShorts(CUdeviceptr pointer, int n) {
        short[] values = new short[n];
        cuMemcpyDtoH(Pointer.to(values), pointer, (long) n * Sizeof.SHORT);
        return values;
    }

    /** Uniform in [-1, 1). */
    float[] randoms(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = random.nextFloat() * 2 - 1;
        return a;
    }

    static void assertClose(float[] want, float[] got, double tolerance, String what) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            double allowed = tolerance * (1 + Math.abs(want[i]));
            if (!(Math.abs(want[i] - got[i]) <= allowed)) {
                throw new AssertionError(what + ": element " + i + " is " + got[i] + ", expected " + want[i] + " within " + allowed);
            }
        }
    }
}
