"""A hand-written PyTorch loop that follows `trainfit watch`'s decisions.

Micro-batch and accumulation change live, at an optimizer step's boundary, keeping the samples
per step; pauses sleep; any other change saves a checkpoint and stops with the new values in
`trainfit-resume.json`. integrations/python/tests/test_loop.py runs this file.
"""

import os
import time

import torch

import trainfit_watch as tw


def train(
    model,
    dataset,
    loss_fn,
    decisions_path,
    *,
    micro_batch,
    gradient_accumulation,
    steps,
    checkpoint_dir,
    optimizer=None,
    seed=0,
    on_step=None,
    sleep=time.sleep,
):
    """Trains `steps` optimizer steps on `dataset` (items: `(inputs, targets)`); returns
    `(steps_done, resume_path or None)`."""
    optimizer = optimizer or torch.optim.AdamW(model.parameters(), lr=1e-3)
    settings = tw.LoopSettings(micro_batch, gradient_accumulation)
    sampler = tw.ResizableBatchSampler(
        torch.utils.data.RandomSampler(dataset, generator=torch.Generator().manual_seed(seed)), micro_batch
    )
    loader = torch.utils.data.DataLoader(dataset, batch_sampler=sampler)
    state = tw.PollState.after_existing(decisions_path)  # an earlier run's decisions are done

    step, seen = 0, 0  # optimizer steps, samples in the current step
    while step < steps:
        for inputs, targets in loader:
            n = len(targets)
            # loss_fn averages over its batch; weighting each micro-batch by its share of the
            # step's samples makes the step's gradient the mean over all of them, whatever the
            # micro-batch size.
            loss = loss_fn(model(inputs), targets) * (n / settings.samples_per_step)
            loss.backward()
            seen += n
            if seen < settings.samples_per_step:
                continue
            optimizer.step()
            optimizer.zero_grad()
            step, seen = step + 1, 0

            applied = tw.apply_decisions(tw.poll(decisions_path, state), settings, sampler, sleep=sleep)
            if on_step is not None:
                on_step(step, settings, applied)
            if applied.restart or applied.none_left:
                folder = os.path.join(checkpoint_dir, f"checkpoint-{step}")
                os.makedirs(folder, exist_ok=True)
                torch.save(
                    {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step},
                    os.path.join(folder, "state.pt"),
                )
                if not applied.restart:  # nothing left to try: keep the state, go on
                    continue
                record = tw.resume_record(applied.restart, folder, step)
                record["other"]["micro_batch"] = settings.micro_batch  # what this loop runs now
                record["other"]["gradient_accumulation"] = settings.gradient_accumulation
                return step, tw.write_resume(folder, record)
            if step >= steps:
                break
    return step, None
