package jclip.spark;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import jclip.tensor.Device;

/**
 * The device a task computes on, from {@code --device}:
 * <ul>
 *   <li>{@code cpu};</li>
 *   <li>{@code cuda}: the GPU Spark's resource scheduling gave the task
 *       ({@code spark.task.resource.gpu.amount}), else device 0; on an executor without a usable
 *       GPU the CPU, with one warning per JVM, so that one job runs on a mixed cluster;</li>
 *   <li>{@code cuda:N}: that device, or the task fails saying why.</li>
 * </ul>
 */
final class TaskDevice {
    private static final System.Logger LOG = System.getLogger(TaskDevice.class.getName());
    private static final AtomicBoolean warned = new AtomicBoolean();

    private TaskDevice() {}

    /** Whether the spelling is one {@link #resolve} accepts (checked on the driver, before any task). */
    static boolean isValid(String flag) {
        return flag.matches("cpu|cuda|cuda:\\d{1,9}");
    }

    static Device resolve(String flag) {
        if (flag.equals("cpu")) return Device.cpu();
        if (!flag.equals("cuda")) return explicit(flag);
        String assigned = assignedGpu();
        if (assigned != null) return explicit("cuda:" + assigned);
        try {
            return Device.parse("cuda");
        } catch (IllegalArgumentException | IllegalStateException noGpu) {
            if (!warned.getAndSet(true))
                LOG.log(System.Logger.Level.WARNING, "--device cuda: this executor has no usable GPU, so it computes on the CPU ("
                        + noGpu.getMessage() + ")");
            return Device.cpu();
        }
    }

    private static Device explicit(String name) {
        try {
            return Device.parse(name);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalStateException("--device " + name + ": " + e.getMessage(), e);
        }
    }

    /** The first GPU address Spark assigned to the running task, or null (no task, no GPU scheduling). */
    private static String assignedGpu() {
        TaskContext task = TaskContext.get();
        if (task == null) return null;
        ResourceInformation gpu = task.resourcesJMap().get("gpu");
        return gpu == null || gpu.addresses().length == 0 ? null : gpu.addresses()[0];
    }
}
