/**
 * Reading a large YAML file on a thread of its own: the `yaml` package takes about 0.3 ms
 * per kilobyte, so a 1 MiB provider file would hold every request up for a third of a
 * second or more (docs/performance.md). The thread parses and hands back plain data; the
 * main thread keeps answering requests meanwhile, then validates the data. Positions for
 * validation errors are found only when there is an error, by parsing that file again on
 * the main thread (read-yaml.ts), so every message reads exactly as for a small file.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { locatorFor, readYaml, yamlSyntaxError, YAML_PARSE_OPTIONS, type Locate, type ReadFile, type SourcePosition } from './read-yaml';

/**
 * Files shorter than this (in characters) are parsed inline: 64 KiB holds requests up for
 * 20 to 45 ms, about what a round trip to the thread adds to a reload, which a hoster's
 * thousand small files would each pay (docs/performance.md).
 */
export const OFF_THREAD_MIN_YAML_LENGTH = 64 * 1024;

/**
 * How long a parse may take before the thread is taken for hung: 60 times the ~0.5 s per
 * MiB measured on a busy machine, and at least 30 s, so a large maxProviderFileBytes
 * still gets the time it needs.
 */
const TIMEOUT_MS_PER_MIB = 30_000;
const MIN_TIMEOUT_MS = 30_000;

/** A parser thread that crashed or took too long; the file is reported as not loaded. */
export class ParserThreadError extends Error {}

export interface YamlParserThreadOptions {
  /** How long any one file may take before the thread is stopped, instead of the limit that grows with the file's length. */
  readonly timeoutMs?: number;
  /** How long an idle thread is kept for the next file of the same reload before it is stopped. */
  readonly idleMs?: number;
  /** Heap limits for the thread; none by default, since what a file needs grows with maxProviderFileBytes. */
  readonly resourceLimits?: ResourceLimits;
}

/** What the thread sends back: the data, or the parser's first complaint with its place. */
type ThreadAnswer =
  | { readonly data: unknown }
  | { readonly syntaxError: { readonly code: string; readonly message: string; readonly position: SourcePosition } }
  // toJS() refused (the alias budget) or the data cannot be copied: the main thread reads it again to say why.
  | { readonly unreadable: true };

/**
 * The thread's program, in plain JavaScript given as text, so that it runs the same from
 * dist/ and from the TypeScript sources under ts-jest; it loads `yaml` from the path the
 * main thread resolved, so both threads use the same copy of the package.
 */
const THREAD_PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads');
const { LineCounter, parseDocument } = require(workerData.yamlPath);
parentPort.on('message', (text) => {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { ...workerData.options, lineCounter });
  const [error] = document.errors;
  if (error) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    parentPort.postMessage({ syntaxError: { code: error.code, message: error.message, position: { line, column: col } } });
    return;
  }
  try {
    parentPort.postMessage({ data: document.toJS() });
  } catch {
    parentPort.postMessage({ unreadable: true });
  }
});
`;

interface PendingParse {
  readonly resolve: (answer: ThreadAnswer) => void;
  readonly reject: (error: ParserThreadError) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * One thread, started on first use and reused for the files of a reload, one file at a
 * time. It holds the process open only while it parses (a CLI run ends when its work
 * does) and is stopped after idleMs, so no thread outlives a reload.
 */
export class YamlParserThread {
  private worker: Worker | undefined;
  private pending: PendingParse | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** The parse before this one: parses wait for it, so only one runs at a time. */
  private previous: Promise<unknown> = Promise.resolve();
  private readonly idleMs: number;

  constructor(private readonly options: YamlParserThreadOptions = {}) {
    this.idleMs = options.idleMs ?? 5_000;
  }

  /** Reads `text` as readYaml does (same data, same YamlSyntaxError), off the main thread. */
  async read(text: string): Promise<ReadFile> {
    const answer = await this.parse(text);
    if ('unreadable' in answer) return readYaml(text);
    if ('syntaxError' in answer) throw yamlSyntaxError(answer.syntaxError.code, answer.syntaxError.message, answer.syntaxError.position);
    let locate: Locate | undefined;
    return { data: answer.data, locate: (path) => (locate ??= locatorFor(text))(path) };
  }

  /** Stops the thread now (a parse in progress fails). */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    this.pending?.reject(new ParserThreadError('the YAML parser thread was closed'));
    await worker?.terminate();
  }

  private parse(text: string): Promise<ThreadAnswer> {
    const parse = this.previous.then(() => this.parseAlone(text));
    this.previous = parse.catch(() => undefined);
    return parse;
  }

  private parseAlone(text: string): Promise<ThreadAnswer> {
    clearTimeout(this.idleTimer);
    const worker = (this.worker ??= this.start());
    worker.ref();
    const timeoutMs = this.options.timeoutMs ?? Math.max(MIN_TIMEOUT_MS, Math.ceil((text.length / (1024 * 1024)) * TIMEOUT_MS_PER_MIB));
    return new Promise<ThreadAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(worker, `the YAML parser took longer than ${timeoutMs / 1000} s and was stopped`);
        void worker.terminate();
      }, timeoutMs);
      this.pending = { resolve, reject, timer };
      worker.postMessage(text);
    }).finally(() => {
      clearTimeout(this.pending?.timer);
      this.pending = undefined;
      if (this.worker !== worker) return;
      worker.unref();
      this.idleTimer = setTimeout(() => void this.close(), this.idleMs);
      this.idleTimer.unref();
    });
  }

  private start(): Worker {
    const worker = new Worker(THREAD_PROGRAM, {
      eval: true,
      workerData: { yamlPath: require.resolve('yaml'), options: YAML_PARSE_OPTIONS },
      resourceLimits: this.options.resourceLimits,
    });
    worker.on('message', (answer: ThreadAnswer) => this.pending?.resolve(answer));
    worker.on('error', (error) => this.fail(worker, `the YAML parser thread failed: ${error.message}`));
    worker.on('exit', (code) => this.fail(worker, `the YAML parser thread stopped (exit code ${code})`));
    return worker;
  }

  /** The thread is of no more use: the parse in progress fails with `reason`, and the next one starts a new thread. */
  private fail(worker: Worker, reason: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.pending?.reject(new ParserThreadError(reason));
  }
}
