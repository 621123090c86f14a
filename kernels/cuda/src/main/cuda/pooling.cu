// 2-D average pooling, NCHW, as jclip.kernels.cpu.AvgPool2d defines it (PyTorch's nn.AvgPool2d
// defaults: padding counts as zeros in the divisor kH·kW, floor-mode output size):
//   x [planes = N·C, h, w], y [planes, hOut, wOut].
// One thread per output element forward and per input element backward, so the backward gathers
// from the windows that cover its input and needs no atomics.
#include "jclip_cuda.cuh"
#include "elements.cuh"

// y[pl, oh, ow] = Σ over the window's taps inside x / (kH·kW); n = planes·hOut·wOut.
extern "C" __global__ void jclip_avgpool2d_forward_f32(const float* x, float* y, int h, int w, int hOut, int wOut,
                                                       int kH, int kW, int sH, int sW, int pH, int pW, int n) {
    const float divisor = (float)(kH * kW);
    GRID_STRIDE(p, n) {
        unsigned ow = p % wOut, oh = (p / wOut) % hOut, plane = p / wOut / hOut;
        const float* in = x + (size_t)plane * h * w;
        int ih0 = max(0, (int)oh * sH - pH), ih1 = min(h, (int)oh * sH - pH + kH);
        int iw0 = max(0, (int)ow * sW - pW), iw1 = min(w, (int)ow * sW - pW + kW);
        float s = 0.f;
        for (int ih = ih0; ih < ih1; ih++)
            for (int iw = iw0; iw < iw1; iw++) s += in[ih * w + iw];
        y[p] = s / divisor;
    }
}

// gx[pl, ih, iw] = Σ over the outputs whose window covers (ih, iw) of gy / (kH·kW), written;
// n = planes·h·w. Output oh covers ih when oh·sH - pH <= ih < oh·sH - pH + kH.
extern "C" __global__ void jclip_avgpool2d_backward_f32(const float* gy, float* gx, int h, int w, int hOut, int wOut,
                                                        int kH, int kW, int sH, int sW, int pH, int pW, int n) {
    const float divisor = (float)(kH * kW);
    GRID_STRIDE(p, n) {
        int iw = p % w, ih = (p / w) % h;
        unsigned plane = p / w / h;
        const float* g = gy + (size_t)plane * hOut * wOut;
        // The first is ceil((ih + pH - kH + 1) / sH); where that numerator is <= 0, C's truncating
        // division gives <= 0 as well, which the clip to 0 makes right.
        int oh0 = max(0, (ih + pH - kH + sH) / sH), oh1 = min(hOut - 1, (ih + pH) / sH);
        int ow0 = max(0, (iw + pW - kW + sW) / sW), ow1 = min(wOut - 1, (iw + pW) / sW);
        float s = 0.f;
        for (int oh = oh0; oh <= oh1; oh++)
            for (int ow = ow0; ow <= ow1; ow++) s += g[oh * wOut + ow] / divisor;
        gx[p] = s;
    }
}
