package jclip.clip.model;

import jclip.nn.AvgPool2d;
import jclip.nn.BatchNorm2d;
import jclip.nn.Conv2d;
import jclip.nn.Layer;
import jclip.nn.Sequential;
import jclip.tensor.Autograd;
import jclip.tensor.Rng;
import jclip.tensor.Tensor;

/**
 * CLIP's ResNet image tower: a three-convolution stem with an average pool, four stages of
 * anti-aliased Bottleneck blocks, and attention pooling instead of a global average pool.
 */
public final class ModifiedResNet extends Layer {
    private final Conv2d conv1, conv2, conv3;
    private final BatchNorm2d bn1, bn2, bn3;
    private final AvgPool2d avgpool;
    private final Sequential layer1, layer2, layer3, layer4;
    private final AttentionPool2d attnpool;
    private int inplanes;

    public ModifiedResNet(int[] layers, int outputDim, int heads, int resolution, int width, Rng rng) {
        conv1 = child("conv1", new Conv2d(3, width / 2, 3, 2, 1, false, rng));
        bn1 = child("bn1", new BatchNorm2d(width / 2));
        conv2 = child("conv2", new Conv2d(width / 2, width / 2, 3, 1, 1, false, rng));
        bn2 = child("bn2", new BatchNorm2d(width / 2));
        conv3 = child("conv3", new Conv2d(width / 2, width, 3, 1, 1, false, rng));
        bn3 = child("bn3", new BatchNorm2d(width));
        avgpool = new AvgPool2d(2);
        inplanes = width;
        layer1 = child("layer1", stage(width, layers[0], 1, rng));
        layer2 = child("layer2", stage(width * 2, layers[1], 2, rng));
        layer3 = child("layer3", stage(width * 4, layers[2], 2, rng));
        layer4 = child("layer4", stage(width * 8, layers[3], 2, rng));
        int embedDim = width * 32;
        attnpool = child("attnpool", new AttentionPool2d(resolution / 32, embedDim, heads, outputDim, rng));
        if (rng != null) initialise(rng, embedDim);
    }

    private Sequential stage(int planes, int blocks, int stride, Rng rng) {
        Sequential s = new Sequential();
        s.add("0", new Bottleneck(inplanes, planes, stride, rng));
        inplanes = planes * Bottleneck.EXPANSION;
        for (int i = 1; i < blocks; i++) s.add(Integer.toString(i), new Bottleneck(inplanes, planes, 1, rng));
        return s;
    }

    /** CLIP's scheme: attention-pool projections with std 1/√C, each block's last BN gain zero. */
    private void initialise(Rng rng, int embedDim) {
        double std = Math.pow(embedDim, -0.5);
        try (Autograd.NoGrad g = Autograd.noGrad()) {
            for (var proj : new jclip.nn.Linear[] {attnpool.qProj, attnpool.kProj, attnpool.vProj, attnpool.cProj})
                try (Tensor w = rng.normal(0, std, proj.weight.shape())) {
                    proj.weight.copyFrom(w);
                }
            for (Sequential stage : new Sequential[] {layer1, layer2, layer3, layer4})
                for (var block : stage.children()) ((Bottleneck) block).lastGain().fill(0f);
        }
    }

    /** images [N, 3, R, R] to features [N, outputDim]. */
    @Override
    public Tensor forward(Tensor x) {
        x = bn1.forward(conv1.forward(x)).relu();
        x = bn2.forward(conv2.forward(x)).relu();
        x = bn3.forward(conv3.forward(x)).relu();
        x = avgpool.forward(x);
        x = layer4.forward(layer3.forward(layer2.forward(layer1.forward(x))));
        return attnpool.forward(x);
    }
}
