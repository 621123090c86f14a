package jclip.clip.cli;

import jclip.tensor.Device;
import picocli.CommandLine.Option;

/** --device cpu|cuda, shared by the commands that compute. */
final class DeviceOption {
    @Option(names = "--device", description = "cpu or cuda (default: cuda when present, else cpu).")
    String device;

    Device resolve() {
        if (device == null || device.equals("cpu")) return Device.cpu();
        if (device.equals("cuda") || device.startsWith("cuda:"))
            throw new IllegalArgumentException("--device " + device + ": the CLIP model does not run on CUDA yet (tensors do:"
                    + " jclip.tensor.Device.cuda); use --device cpu");
        throw new IllegalArgumentException("--device must be cpu or cuda, got '" + device + "'");
    }
}
