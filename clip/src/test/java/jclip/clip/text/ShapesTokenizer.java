package jclip.clip.text;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import jclip.clip.data.Example;
import jclip.clip.data.ShapesDataset;

/** The small BPE tokenizer that tests learn from a generated shapes set's captions (60 merges). */
public final class ShapesTokenizer {
    private ShapesTokenizer() {}

    /** Learned from the captions of epoch 5 of {@code data}; the merges file is written into {@code dir}. */
    public static ClipTokenizer learn(ShapesDataset data, Path dir) {
        List<String> captions = new ArrayList<>();
        Iterator<Example> it = data.examples(5, 0);
        while (it.hasNext()) captions.add(it.next().caption());
        Path merges = dir.resolve("bpe.txt");
        BpeTrainer.writeMergesFile(merges, BpeTrainer.learnMerges(captions, 60));
        return ClipTokenizer.load(merges);
    }
}
