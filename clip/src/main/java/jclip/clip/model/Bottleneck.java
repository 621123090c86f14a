package jclip.clip.model;

import jclip.nn.AvgPool2d;
import jclip.nn.BatchNorm2d;
import jclip.nn.Conv2d;
import jclip.nn.Layer;
import jclip.nn.Sequential;
import jclip.tensor.Rng;
import jclip.tensor.Tensor;

/**
 * The ModifiedResNet block: 1x1, 3x3, 1x1 convolutions with expansion 4, where a stride is done
 * by an average pool before the last convolution (anti-aliasing), and the downsample branch is an
 * average pool, a 1x1 convolution and a batch norm.
 */
final class Bottleneck extends Layer {
    static final int EXPANSION = 4;

    private final Conv2d conv1, conv2, conv3;
    private final BatchNorm2d bn1, bn2, bn3;
    private final AvgPool2d avgpool;
    private final Sequential downsample;

    Bottleneck(int inplanes, int planes, int stride, Rng rng) {
        conv1 = child("conv1", new Conv2d(inplanes, planes, 1, 1, 0, false, rng));
        bn1 = child("bn1", new BatchNorm2d(planes));
        conv2 = child("conv2", new Conv2d(planes, planes, 3, 1, 1, false, rng));
        bn2 = child("bn2", new BatchNorm2d(planes));
        avgpool = stride > 1 ? new AvgPool2d(stride) : null;
        conv3 = child("conv3", new Conv2d(planes, planes * EXPANSION, 1, 1, 0, false, rng));
        bn3 = child("bn3", new BatchNorm2d(planes * EXPANSION));
        if (stride > 1 || inplanes != planes * EXPANSION) {
            downsample = child("downsample", new Sequential()
                    .add("-1", new AvgPool2d(stride))
                    .add("0", new Conv2d(inplanes, planes * EXPANSION, 1, 1, 0, false, rng))
                    .add("1", new BatchNorm2d(planes * EXPANSION)));
        } else {
            downsample = null;
        }
    }

    /** The last batch norm's gain, which CLIP initialises to zero so each block starts as the identity. */
    Tensor lastGain() {
        return bn3.weight;
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor out = bn1.forward(conv1.forward(x)).relu();
        out = bn2.forward(conv2.forward(out)).relu();
        if (avgpool != null) out = avgpool.forward(out);
        out = bn3.forward(conv3.forward(out));
        Tensor identity = downsample != null ? downsample.forward(x) : x;
        return out.add(identity).relu();
    }
}
