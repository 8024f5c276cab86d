// Container lifecycle events (created, started, stopped, deleted) as the container manager records
// them, for CRI GetContainerEvents: the kubelet's evented PLEG learns of an exit at once instead of
// at its next relist. Delivery is best effort and in order per subscriber; a subscriber that
// needs every state still relists (the CRI contract says the same).

export type ContainerEventKind = 'created' | 'started' | 'stopped' | 'deleted';

export interface ContainerEvent {
  kind: ContainerEventKind;
  containerId: string;
  sandboxId: string;
  /** Nanoseconds since the epoch, as decimal text. */
  at: string;
}

export type ContainerEventListener = (event: ContainerEvent) => void;

export class ContainerEvents {
  private readonly listeners = new Set<ContainerEventListener>();

  /** Returns the function that ends the subscription. */
  subscribe(listener: ContainerEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: ContainerEvent): void {
    for (const listener of this.listeners) {
      // One subscriber's failure must not keep the event from the others or from the caller.
      try {
        listener(event);
      } catch {
        // the subscriber owns its errors
      }
    }
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}
