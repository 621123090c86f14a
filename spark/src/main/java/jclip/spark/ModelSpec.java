package jclip.spark;

import java.io.Serializable;
import java.util.List;

/**
 * What every task needs to find its executor's model: paths and settings only, a few hundred bytes
 * that Spark broadcasts once per executor. The weights themselves never travel through Spark; each
 * executor JVM reads them from the checkpoint path once ({@link ExecutorModels}).
 *
 * @param checkpoint the model's safetensors file, as every executor can read it (a shared file
 *     system), or the name of a file shipped with {@code spark-submit --files}
 * @param tokenizer the BPE merges file, found the same way; null when only images are embedded
 *     without labels, and then only the image tower is loaded
 * @param device {@code cpu}, {@code cuda} (the task's GPU) or {@code cuda:N}
 * @param batchSize items per model call
 * @param classNames zero-shot classes (empty: no labels)
 * @param templates prompt templates with {@code {}} for the class name
 */
record ModelSpec(String checkpoint, String tokenizer, String device, int batchSize, List<String> classNames, List<String> templates)
        implements Serializable {
    private static final long serialVersionUID = 1L;

    ModelSpec {
        classNames = List.copyOf(classNames);
        templates = List.copyOf(templates);
    }

    boolean labels() {
        return !classNames.isEmpty();
    }
}
