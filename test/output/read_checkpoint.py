"""An independent reader of a Hugging Face checkpoint folder, Python standard library only.

Usage: python3 read_checkpoint.py FOLDER SAMPLES_JSON
SAMPLES_JSON maps tensor names to lists of element indices. Prints one JSON object:
{"files": [...], "tensors": {name: {"file", "dtype", "shape", "samples": [bit patterns as integers]}}, "total_size"}.
Exits non-zero (with a message on stderr) on any inconsistency: index vs headers, offsets not contiguous, byte counts
not matching dtype and shape, trailing bytes, a header not padded as the reference pads it.
"""
import json
import os
import struct
import sys

SIZES = {"F32": 4, "F16": 2, "BF16": 2, "U32": 4}


def fail(message):
    sys.stderr.write(message + "\n")
    sys.exit(1)


def read_header(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        raw = f.read(n)
    if len(raw) != n or n % 8 != 0:
        fail(f"{path}: header length {n} (read {len(raw)}) is not a multiple of 8")
    text = raw.decode("utf-8")
    stripped = text.rstrip(" ")
    if len(text) - len(stripped) >= 8 or not stripped.endswith("}"):
        fail(f"{path}: the header is not a JSON object padded with fewer than 8 spaces")
    header = json.loads(stripped)
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not all(isinstance(v, str) for v in metadata.values()):
        fail(f"{path}: __metadata__ values must be strings")
    data_start = 8 + n
    size = os.path.getsize(path)
    end = 0
    for name, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, stop = entry["data_offsets"]
        if begin != end:
            fail(f"{path}: {name} begins at {begin}, expected {end}")
        numel = 1
        for d in entry["shape"]:
            numel *= d
        if entry["dtype"] not in SIZES:
            fail(f"{path}: {name} has dtype {entry['dtype']}")
        if stop - begin != numel * SIZES[entry["dtype"]]:
            fail(f"{path}: {name} has {stop - begin} bytes for {numel} elements of {entry['dtype']}")
        end = stop
    if data_start + end != size:
        fail(f"{path}: data ends at {data_start + end}, file has {size} bytes")
    return header, data_start


def main():
    folder, samples_path = sys.argv[1], sys.argv[2]
    with open(samples_path) as f:
        wanted = json.load(f)
    index_path = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index_path):
        with open(index_path) as f:
            index = json.load(f)
        weight_map = index["weight_map"]
        files = sorted(set(weight_map.values()))
        if os.path.exists(os.path.join(folder, "model.safetensors")):
            fail("both model.safetensors and an index")
        for i, name in enumerate(files):
            if name != "model-%05d-of-%05d.safetensors" % (i + 1, len(files)):
                fail(f"shard name {name}")
    else:
        index = None
        files = ["model.safetensors"]
    tensors = {}
    total = 0
    for file in files:
        path = os.path.join(folder, file)
        header, data_start = read_header(path)
        with open(path, "rb") as f:
            for name, entry in header.items():
                if index is not None and index["weight_map"].get(name) != file:
                    fail(f"{name} is in {file} but the index says {index['weight_map'].get(name)}")
                begin, stop = entry["data_offsets"]
                total += stop - begin
                size = SIZES[entry["dtype"]]
                samples = []
                for k in wanted.get(name, []):
                    f.seek(data_start + begin + k * size)
                    samples.append(struct.unpack("<I" if size == 4 else "<H", f.read(size))[0])
                tensors[name] = {"file": file, "dtype": entry["dtype"], "shape": entry["shape"], "samples": samples}
    if index is not None:
        if set(index["weight_map"]) != set(tensors):
            fail("index and headers name different tensors")
        if index["metadata"]["total_size"] != total:
            fail(f"index total_size {index['metadata']['total_size']} != {total}")
    print(json.dumps({"files": files, "tensors": tensors, "total_size": total}))


main()
