package jclip.kernels.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/**
 * One PTX file built by nvcc from src/main/cuda/NAME.cu, loaded into the device's context, with
 * the parameter list of each {@code .entry} read from the PTX text: launches are checked against it
 * before they reach the driver, so a wrong argument count or size fails the same way on a real GPU
 * and on the simulated one.
 */
final class PtxModule {
    static final String RESOURCE_DIR = "jclip/kernels/cuda/ptx/";

    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+([A-Za-z_$][\\w$]*)\\s*\\(([^)]*)\\)");
    private static final Pattern ARRAY_PARAM = Pattern.compile("\\.b8\\s+\\S+\\[(\\d+)\\]");
    private static final Pattern SCALAR_PARAM = Pattern.compile("\\.param\\s+\\.[usbf](8|16|32|64)\\b");

    private final String name;
    private final CUmodule module = new CUmodule();
    private final Map<String, int[]> parameterSizes;
    private final Map<String, CudaKernel> kernels = new HashMap<>();
    private final CudaDevice device;

    private PtxModule(CudaDevice device, String name, String ptx) {
        this.device = device;
        this.name = name;
        this.parameterSizes = parseEntries(ptx);
        byte[] image = (ptx + "\0").getBytes(StandardCharsets.UTF_8);
        CudaException.checkDriver(JCudaDriver.cuModuleLoadData(module, image), "cuModuleLoadData(" + name + ".ptx)");
    }

    static boolean exists(String name) {
        return NativeLibraries.exists(RESOURCE_DIR + name + ".ptx");
    }

    static PtxModule load(CudaDevice device, String name) {
        String resource = RESOURCE_DIR + name + ".ptx";
        try (InputStream in = PtxModule.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the CUDA kernels were not built: " + resource + " is not on the class path"
                        + " (nvcc was not found when jclip-kernels-cuda was built)");
            }
            return new PtxModule(device, name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    /** The kernel named {@code kernel}, looked up once. */
    synchronized CudaKernel kernel(String kernel) {
        return kernels.computeIfAbsent(kernel, k -> {
            int[] sizes = parameterSizes.get(k);
            if (sizes == null) throw new IllegalArgumentException("no kernel " + k + " in " + name + ".ptx; it has " + parameterSizes.keySet());
            CUfunction function = new CUfunction();
            CudaException.checkDriver(JCudaDriver.cuModuleGetFunction(function, module, k), "cuModuleGetFunction(" + name + "." + k + ")");
            return new CudaKernel(device, name, k, function, sizes);
        });
    }

    /** The driver's handle of {@code kernel} in this module, as loaded now. */
    CUfunction function(String kernel) {
        CUfunction function = new CUfunction();
        CudaException.checkDriver(JCudaDriver.cuModuleGetFunction(function, module, kernel), "cuModuleGetFunction(" + name + "." + kernel + ")");
        return function;
    }

    /** Byte sizes of each kernel's parameters, in order, from the {@code .entry} declarations. */
    static Map<String, int[]> parseEntries(String ptx) {
        Map<String, int[]> entries = new LinkedHashMap<>();
        Matcher entry = ENTRY.matcher(ptx);
        while (entry.find()) {
            List<Integer> sizes = new ArrayList<>();
            String params = entry.group(2).trim();
            if (!params.isEmpty()) {
                for (String param : params.split(",")) sizes.add(parameterSize(entry.group(1), param.trim()));
            }
            entries.put(entry.group(1), sizes.stream().mapToInt(Integer::intValue).toArray());
        }
        return entries;
    }

    private static int parameterSize(String kernel, String param) {
        Matcher array = ARRAY_PARAM.matcher(param);
        if (array.find()) return Integer.parseInt(array.group(1));
        Matcher scalar = SCALAR_PARAM.matcher(param);
        if (scalar.find()) return Integer.parseInt(scalar.group(1)) / 8;
        throw new IllegalStateException("cannot read parameter '" + param + "' of PTX entry " + kernel);
    }
}
