/**
 * Image-caption data for training and evaluating CLIP: sources ({@link jclip.clip.data.ShapesDataset}
 * generated, {@link jclip.clip.data.FashionMnist} from IDX files, {@link jclip.clip.data.CsvImageFolder}
 * images with a caption table, {@link jclip.clip.data.WebDatasetShards} tar shards), CLIP's image
 * {@link jclip.clip.data.Preprocess preprocessing}, and a parallel, deterministic, resumable
 * {@link jclip.clip.data.DataLoader}.
 *
 * <pre>{@code
 * ImageTextSource train = ShapesDataset.train(1, 20_000, 64);
 * try (DataLoader loader = DataLoader.builder(train).batchSize(128).preprocess(Preprocess.train(64))
 *         .seed(7).epoch(epoch).skip(resumePosition).build()) {
 *     while (loader.hasNext()) {
 *         try (Batch b = loader.next()) {
 *             // tokenise b.captions(), step on b.images(); remember b.position() for resuming
 *         }
 *     }
 * }
 * }</pre>
 */
package jclip.clip.data;
