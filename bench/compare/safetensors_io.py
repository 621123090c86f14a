"""Reads and writes the safetensors format (the torch here has no safetensors package).

A file is: 8 bytes little-endian header length, a JSON header {name: {dtype, shape,
data_offsets: [begin, end]}, "__metadata__": {...}}, then the raw little-endian tensor data.
"""
import json
import struct

import numpy as np
import torch

_DTYPES = {torch.float32: ("F32", np.float32), torch.int64: ("I64", np.int64)}
_BY_NAME = {name: np_type for name, np_type in _DTYPES.values()}


def save(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        if t.dtype not in _DTYPES:
            raise ValueError(f"{name}: dtype {t.dtype} is not supported here (F32, I64 only)")
        dtype, np_type = _DTYPES[t.dtype]
        data = t.detach().contiguous().cpu().numpy().astype(np_type).astype(np.dtype(np_type).newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = dict(metadata)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)


def load(path):
    """Every tensor of the file, each read straight into its own array (no copy of the whole file)."""
    out = {}
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        header.pop("__metadata__", None)
        for name, e in header.items():
            begin, end = e["data_offsets"]
            np_type = np.dtype(_BY_NAME[e["dtype"]]).newbyteorder("<")
            f.seek(8 + n + begin)
            arr = np.fromfile(f, dtype=np_type, count=(end - begin) // np_type.itemsize)
            out[name] = torch.from_numpy(arr.astype(_BY_NAME[e["dtype"]], copy=False).reshape(e["shape"]))
    return out
