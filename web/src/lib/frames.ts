// Work spread over animation frames: one queued job per frame. A burst of rendering (the first
// boards' answers arriving together) becomes several short frames instead of one long task
// the reader waits behind. A frame that does not come (a page in a background tab does not
// paint) is replaced by a timer, so queued work still finishes.
const queue: (() => void)[] = [];
let pending = false;
let frame = 0;
let timer: ReturnType<typeof setTimeout> | undefined;

function run(): void {
  pending = false;
  cancelAnimationFrame(frame);
  clearTimeout(timer);
  queue.shift()?.();
  if (queue.length) schedule();
}

function schedule(): void {
  if (pending) return;
  pending = true;
  frame = requestAnimationFrame(run);
  timer = setTimeout(run, 100);
}

/** Runs `job` in a later frame, after the jobs queued before it (one job per frame). */
export function inLaterFrame(job: () => void): void {
  queue.push(job);
  schedule();
}

