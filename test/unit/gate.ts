// A promise the test settles by hand: what a step made slow waits on, so a test can act while
// the step is in flight (a retry arriving, a caller going away).
export interface Gate<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

export function gate<T = void>(): Gate<T> {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
