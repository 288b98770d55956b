/** The progress of a long command (send --wait, dlq redrive) on stderr, so stdout keeps only the result. */
import type { Io } from './io';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** On a TTY a one-line spinner (on stderr) that shows the latest status; elsewhere a plain line per status. */
export function progress(io: Pick<Io, 'stderr'>): { update(text: string): void; done(): void } {
  if (!io.stderr.isTTY) {
    let last = '';
    return {
      update: (text) => {
        if (text !== last) io.stderr.write(`${text}\n`);
        last = text;
      },
      done: () => undefined,
    };
  }
  let text = '';
  let frame = 0;
  const draw = () => io.stderr.write(`\r\x1b[2K${SPINNER[frame++ % SPINNER.length]} ${text}`);
  const timer = setInterval(draw, 80);
  return {
    update: (t) => {
      text = t;
      draw();
    },
    done: () => {
      clearInterval(timer);
      io.stderr.write('\r\x1b[2K');
    },
  };
}
