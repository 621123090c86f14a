// How threads map to elements: grid-stride loops, and strided addressing for the broadcasting and
// converting kernels.
#pragma once

// Every element of [0, n) once, whatever the grid: launchers cap the grid (a few waves of blocks)
// and each thread strides on. Unsigned: n < 2^31 and the stride is far below 2^31, so i + stride
// cannot wrap.
#define GRID_STRIDE(i, n) \
    for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < (unsigned)(n); i += gridDim.x * blockDim.x)

// Up to 8 dimensions, passed by value: the Java launchers send shapes and strides as ints(values, 8).
#define JCLIP_MAX_DIMS 8
struct Dims {
    int v[JCLIP_MAX_DIMS];
};

// The coordinates of the element with row-major linear index `linear` in `shape` (first ndim used).
// The loops have constant bounds, so nvcc unrolls them and the array lives in registers, not local
// memory. The launchers merge dimensions that are contiguous in every operand first, so ndim is
// usually 1 or 2; the outermost coordinate is what is left of `linear`, with no division.
struct Coords {
    int c[JCLIP_MAX_DIMS];
};

__device__ __forceinline__ Coords coords_of(unsigned linear, int ndim, const Dims& shape) {
    Coords k;
    for (int d = JCLIP_MAX_DIMS - 1; d > 0; d--) {
        k.c[d] = 0;
        if (d < ndim) {
            unsigned size = (unsigned)shape.v[d];
            unsigned q = linear / size;
            k.c[d] = (int)(linear - q * size);
            linear = q;
        }
    }
    k.c[0] = (int)linear;
    return k;
}

__device__ __forceinline__ int offset_of(const Coords& k, int ndim, const Dims& strides) {
    int offset = 0;
    for (int d = 0; d < JCLIP_MAX_DIMS; d++)
        if (d < ndim) offset += k.c[d] * strides.v[d];
    return offset;
}
