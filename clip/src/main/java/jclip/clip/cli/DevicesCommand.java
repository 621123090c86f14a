package jclip.clip.cli;

import java.util.concurrent.Callable;
import jclip.kernels.cpu.Gemm;
import jclip.kernels.cpu.Parallel;
import jclip.kernels.cuda.CudaDevice;
import jclip.kernels.cuda.CudaMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** What --device can name on this machine: the CPU, and each CUDA device or why there is none. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List the devices --device can name: the CPU and each CUDA device (the real GPU, or the simulated one with JCLIP_CUDA=sim).")
final class DevicesCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        out.printf("cpu     %d threads, matrix kernel: %s%n", Parallel.threads(), Gemm.implementation());
        int count;
        try {
            count = CudaDevice.count();
        } catch (IllegalStateException e) {
            out.println("cuda    none: " + e.getMessage());
            return 0;
        }
        for (int i = 0; i < count; i++) {
            CudaDevice d = CudaDevice.get(i);
            out.printf("cuda:%d  %s, %.1f GiB, compute capability %s%s%n", i, d.name(), d.totalMemory() / (double) (1L << 30),
                    d.computeCapability(), CudaMode.isSimulated() ? " (simulated: JCLIP_CUDA=sim)" : "");
        }
        return 0;
    }
}
