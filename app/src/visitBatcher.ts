// Group commit in the app: concurrent visits share one transaction. Leader/follower: the first
// visit to arrive while nothing is in flight starts a batch at once (no added latency when the
// site is quiet); visits arriving while a batch is in flight wait and form the next one, which
// starts the moment the current one ends. So one transaction at a time holds the server's row
// in visit_totals, and each commit (fsync, semi-sync acknowledgement) serves a whole batch.
//
// Generic over what is batched, and free of I/O, so its tests drive it with a fake `run`.

export interface BatcherOptions {
  /** Most items one batch carries; more wait for the next. */
  readonly maxBatch: number;
  /**
   * Most items waiting for a batch. Beyond it `submit` fails at once: the database is not keeping
   * up, and a request at the end of a longer queue would only wait out its deadline. With
   * maxWaiting ≤ maxBatch, every waiting item is in the very next batch.
   */
  readonly maxWaiting: number;
}

/** The error of a submit refused because too many items already wait; `code` like mysql's. */
export class BatchQueueFullError extends Error {
  readonly code = "FOOBAR_BATCH_QUEUE_FULL";
  constructor(waiting: number) {
    super(`${waiting} visits already wait for the database`);
    this.name = "BatchQueueFullError";
  }
}

interface Waiting<In, Out> {
  readonly item: In;
  resolve(value: Out): void;
  reject(err: unknown): void;
}

export class Batcher<In, Out> {
  private readonly run: (items: readonly In[]) => Promise<readonly Out[]>;
  private readonly options: BatcherOptions;
  private waiting: Array<Waiting<In, Out>> = [];
  private inFlight = false;

  /**
   * `run` handles one batch and answers one result per item, in order. If it throws, every item
   * of that batch fails with its error (and the next batch still runs).
   */
  constructor(run: (items: readonly In[]) => Promise<readonly Out[]>, options: BatcherOptions) {
    if (!(options.maxBatch >= 1 && options.maxWaiting >= 1)) throw new Error("maxBatch and maxWaiting must be at least 1");
    this.run = run;
    this.options = options;
  }

  /** Items waiting for the next batch (not those in flight). */
  get pending(): number {
    return this.waiting.length;
  }

  submit(item: In): Promise<Out> {
    if (this.waiting.length >= this.options.maxWaiting) return Promise.reject(new BatchQueueFullError(this.waiting.length));
    return new Promise<Out>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.inFlight || this.waiting.length === 0) return;
    this.inFlight = true;
    const batch = this.waiting.splice(0, this.options.maxBatch);
    void this.execute(batch).then(() => {
      this.inFlight = false;
      this.next();
    });
  }

  /** Settles every item of the batch; never rejects. */
  private async execute(batch: ReadonlyArray<Waiting<In, Out>>): Promise<void> {
    try {
      const results = await this.run(batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} got ${results.length} results`);
      batch.forEach((w, i) => w.resolve(results[i]));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}
