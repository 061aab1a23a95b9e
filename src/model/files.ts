import * as fs from "node:fs";
import * as path from "node:path";

/** The largest input file (stack file, policy config, suppressions) any command reads. */
export const MAX_INPUT_BYTES = 8 * 1024 * 1024;

/** Why an input file cannot be read, in the words a "found ..." of an error takes. */
export class UnreadableFile extends Error {
  constructor(
    readonly file: string,
    readonly found: string,
  ) {
    super(`${file}: ${found}`);
    this.name = "UnreadableFile";
  }
}

function kindOf(stat: fs.Stats): string {
  if (stat.isFile()) return "a regular file";
  if (stat.isDirectory()) return "a directory";
  if (stat.isFIFO()) return "a named pipe (FIFO)";
  if (stat.isSocket()) return "a socket";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  return "not a regular file";
}

/**
 * Reads a UTF-8 input file, refusing what could hang or exhaust a command: a FIFO (opening one
 * for reading blocks until a writer comes; O_NONBLOCK makes open return at once:
 * https://man7.org/linux/man-pages/man2/open.2.html, https://man7.org/linux/man-pages/man7/fifo.7.html),
 * a directory, a device, a socket, or a file over MAX_INPUT_BYTES. The kind is decided on the
 * opened descriptor (fstat), so a file swapped after a check cannot slip through.
 */
export function readInputFile(file: string, maxBytes: number = MAX_INPUT_BYTES): string {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EISDIR") throw new UnreadableFile(file, "a directory");
    throw new UnreadableFile(file, code ?? String(err));
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new UnreadableFile(file, kindOf(stat));
    if (stat.size > maxBytes) {
      throw new UnreadableFile(file, `a file of ${stat.size} bytes (at most ${maxBytes})`);
    }
    return fs.readFileSync(fd, "utf8");
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Checks, before any work, that a report can be written to `file`: an existing path must be a
 * regular file (a FIFO without a reader would block the write; a directory cannot be one) and
 * writable; a new one needs its nearest existing ancestor to be a writable directory. Returns
 * why not, or undefined.
 */
export function unwritableReason(file: string): string | undefined {
  const target = path.resolve(file);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(target);
  } catch {
    stat = undefined;
  }
  if (stat) {
    if (!stat.isFile()) return kindOf(stat);
    try {
      fs.accessSync(target, fs.constants.W_OK);
      return undefined;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code ?? String(err);
    }
  }
  let dir = path.dirname(target);
  for (;;) {
    let dirStat: fs.Stats | undefined;
    try {
      dirStat = fs.statSync(dir);
    } catch {
      dirStat = undefined;
    }
    if (dirStat) {
      if (!dirStat.isDirectory()) return `${dir} is ${kindOf(dirStat)}, not a directory`;
      try {
        fs.accessSync(dir, fs.constants.W_OK);
        return undefined;
      } catch (err) {
        return `${dir} is not writable (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return "no existing directory above it";
    dir = parent;
  }
}

/**
 * Writes a file atomically: the text goes to a temporary file in the same directory, which is
 * then renamed over the target (rename(2) replaces it in one step on the same file system:
 * https://man7.org/linux/man-pages/man2/rename.2.html), so a
 * reader sees the old or the new file, never a part; a failed write leaves the target as it was.
 * An existing target keeps its permission bits.
 */
export function writeFileAtomic(file: string, text: string): void {
  const target = path.resolve(file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  let mode: number | undefined;
  try {
    mode = fs.statSync(target).mode & 0o777;
  } catch {
    mode = undefined;
  }
  const temp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`,
  );
  try {
    fs.writeFileSync(temp, text, { flag: "wx", ...(mode === undefined ? {} : { mode }) });
    fs.renameSync(temp, target);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
}
