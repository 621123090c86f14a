package jclip.clip.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;
import jclip.clip.eval.ZeroShot;
import jclip.clip.train.Trainer;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG charts of a training run and of a zero-shot confusion matrix (XChart, headless). */
public final class Charts {
    private Charts() {}

    /** loss.png, learning-rate.png, logit-scale.png and throughput.png in dir. */
    public static List<Path> training(List<Trainer.StepMetrics> history, Path dir) throws IOException {
        Files.createDirectories(dir);
        return List.of(
                line(history, Trainer.StepMetrics::loss, "loss", "contrastive loss", dir.resolve("loss.png")),
                line(history, Trainer.StepMetrics::learningRate, "learning rate", "learning rate", dir.resolve("learning-rate.png")),
                line(history, m -> Math.exp(m.logitScale()), "exp(logit_scale)", "temperature⁻¹", dir.resolve("logit-scale.png")),
                line(history, Trainer.StepMetrics::imagesPerSecond, "images / s", "throughput", dir.resolve("throughput.png")));
    }

    private static Path line(List<Trainer.StepMetrics> history, ToDoubleFunction<Trainer.StepMetrics> y, String yTitle,
            String title, Path file) throws IOException {
        double[] xs = new double[history.size()], ys = new double[history.size()];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = history.get(i).step();
            ys[i] = y.applyAsDouble(history.get(i));
        }
        XYChart chart = new XYChartBuilder().width(800).height(500).title(title).xAxisTitle("step").yAxisTitle(yTitle).build();
        chart.getStyler().setLegendVisible(false);
        if (xs.length > 0) chart.addSeries(yTitle, xs, ys).setMarker(SeriesMarkers.NONE);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }

    /** A heat map of the confusion matrix, rows the true class and columns the prediction. */
    public static Path confusion(ZeroShot.Result r, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        int c = r.classNames().size();
        java.util.List<Number[]> heat = new java.util.ArrayList<>();
        for (int t = 0; t < c; t++)
            for (int p = 0; p < c; p++) heat.add(new Number[] {p, t, r.confusion()[t][p]});
        HeatMapChart chart = new HeatMapChartBuilder().width(Math.max(600, 40 * c + 200)).height(Math.max(500, 40 * c + 120))
                .title(String.format("zero-shot confusion (top-1 %.1f%%)", 100 * r.top1())).build();
        chart.getStyler().setShowValue(c <= 30);
        chart.getStyler().setLegendVisible(false);
        chart.addSeries("confusion", r.classNames(), r.classNames(), heat);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }
}
