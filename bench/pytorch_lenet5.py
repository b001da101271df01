#!/usr/bin/env python3
"""The modern LeNet-5 of `lenet5 --arch modern` in PyTorch, timed the same way.

conv 6@5x5 pad 2 -> ReLU -> maxpool 2 -> conv 16@5x5 -> ReLU -> maxpool 2 -> fc 120
-> ReLU -> fc 84 -> ReLU -> fc 10, softmax cross-entropy; SGD lr 0.05, momentum 0.9,
weight decay 5e-4; inputs (x/255 - 0.1307)/0.3081 -- the recipe of `lenet5 train
--arch modern`.

  train: one epoch over the 60,000 MNIST training images at --batch, shuffled; only the
         training loop is timed (data already in memory as a float tensor).
  infer: --images test images (cycled), model.eval() under torch.inference_mode(), in
         batches of --batch (batch 1 = one image per call).

Prints one JSON line: {"framework": "pytorch", "mode", "batch", "threads", "images",
"seconds", "images_per_sec", "test_acc" (train only)}.
"""

import argparse
import gzip
import json
import os
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    for p in (path, path + ".gz"):
        if os.path.exists(p):
            opener = gzip.open if p.endswith(".gz") else open
            with opener(p, "rb") as f:
                data = f.read()
            break
    else:
        raise SystemExit(f"missing {path}[.gz]")
    magic = struct.unpack(">I", data[:4])[0]
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    t = torch.frombuffer(bytearray(data[4 + 4 * dims :]), dtype=torch.uint8)
    return t.reshape(shape)


def load(data_dir, split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte")).float()
    y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte")).long()
    x = ((x / 255.0 - 0.1307) / 0.3081).unsqueeze(1).contiguous()
    return x, y


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--mode", choices=["train", "infer"], required=True)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--images", type=int, default=10000)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = LeNet5()
    out = {"framework": "pytorch", "torch": torch.__version__, "mode": a.mode,
           "batch": a.batch, "threads": a.threads}
    if a.mode == "train":
        x, y = load(a.data, "train")
        xt, yt = load(a.data, "test")
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
        n = x.shape[0]
        order = torch.randperm(n)
        steps = (n + a.batch - 1) // a.batch
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
        model.train()
        t0 = time.perf_counter()
        for i in range(steps):
            idx = order[i * a.batch : (i + 1) * a.batch]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            sched.step()
        secs = time.perf_counter() - t0
        model.eval()
        with torch.inference_mode():
            acc = (model(xt).argmax(1) == yt).float().mean().item()
        out.update(images=n, seconds=secs, images_per_sec=n / secs, test_acc=acc)
    else:
        xt, _ = load(a.data, "test")
        imgs = xt.repeat((a.images + xt.shape[0] - 1) // xt.shape[0], 1, 1, 1)[: a.images]
        model.eval()
        with torch.inference_mode():
            model(imgs[: a.batch])  # warm-up, untimed
            t0 = time.perf_counter()
            if a.batch == 1:
                for i in range(a.images):
                    model(imgs[i : i + 1]).argmax(1)
            else:
                for i in range(0, a.images, a.batch):
                    model(imgs[i : i + a.batch]).argmax(1)
            secs = time.perf_counter() - t0
        out.update(images=a.images, seconds=secs, images_per_sec=a.images / secs)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
