// How the client reports a long operation (a checkpoint or restore of hundreds of MiB) to whoever drives
// it: a phase in words, or bytes done out of a total. The client never prints; a front end renders these.
export type ProgressEvent = { phase: string } | { done: number; total: number };

export type OnProgress = (event: ProgressEvent) => void;
