package jclip.clip.cli;

import jclip.clip.train.Trainer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A console progress bar for training: steps, time left, images per second, loss. */
final class ProgressListener implements Trainer.Listener, AutoCloseable {
    private final ProgressBar bar;

    ProgressListener(String task, int totalSteps, int startStep) {
        bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(totalSteps).startsFrom(startStep, java.time.Duration.ZERO)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).continuousUpdate().build();
    }

    @Override
    public void onStep(Trainer.StepMetrics m) {
        bar.stepTo(m.step());
        bar.setExtraMessage(String.format(" loss %.3f, %.0f img/s", m.loss(), m.imagesPerSecond()));
    }

    @Override
    public void close() {
        bar.close();
    }
}
