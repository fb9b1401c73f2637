"""poll_shared in a real two-process torch.distributed group (gloo, CPU): rank 0 reads, every
rank gets what it read, so no rank stops alone and leaves the others in a collective."""

import json
import os

import pytest

torch = pytest.importorskip("torch")
import torch.multiprocessing as mp  # noqa: E402
from conftest import append, decision, line, tw  # noqa: E402


def worker(rank, store, paths, out):
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    state = tw.PollState()
    got = [tw.poll_shared(paths[rank], state) for _ in range(2)]  # the second call: nothing new
    with open(os.path.join(out, f"{rank}.json"), "w") as f:
        json.dump(got, f)
    dist.destroy_process_group()


def test_every_rank_gets_rank_zeros_decisions(tmp_path):
    # Each rank is given its own file here, as if the ranks read one file at different moments:
    # rank 1's copy does not have the halving yet.
    first = [decision("pause", {"pause_s": 1}), decision("halve_micro_batch")]
    append(tmp_path / "rank0.jsonl", b"".join(line(d) for d in first))
    append(tmp_path / "rank1.jsonl", line(first[0]))
    paths = [str(tmp_path / "rank0.jsonl"), str(tmp_path / "rank1.jsonl")]
    mp.spawn(worker, args=(str(tmp_path / "store"), paths, str(tmp_path)), nprocs=2, join=True)
    for rank in (0, 1):
        got = json.loads((tmp_path / f"{rank}.json").read_text())
        assert got == [first, []], rank
    # Without a process group, poll_shared is poll.
    state = tw.PollState()
    assert tw.poll_shared(paths[1], state) == [first[0]]
