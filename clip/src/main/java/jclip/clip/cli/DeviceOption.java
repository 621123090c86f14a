package jclip.clip.cli;

import jclip.tensor.Device;
import picocli.CommandLine.Option;

/** --device cpu|cuda|cuda:N, shared by the commands that compute. */
final class DeviceOption {
    @Option(names = "--device", description = "cpu (default), cuda or cuda:N: the machine's GPU, or the simulated GPU when JCLIP_CUDA=sim.")
    String device;

    Device resolve() {
        try {
            return Device.parse(device == null ? "cpu" : device);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalArgumentException("--device " + device + ": " + e.getMessage(), e);
        }
    }
}
