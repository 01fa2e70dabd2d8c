import { ObjectUnsubscribedError, Subject } from 'rxjs';

/**
 * A Subject for emissions made once per request (completions): next() walks the subscribers with
 * an index and allocates nothing; rxjs' own next builds a closure (its error context) and an
 * iterator per value. Same rule as rxjs: it walks rxjs' snapshot of the subscribers, which a
 * subscribe or unsubscribe replaces, so a change during an emission applies from the next one.
 */
export class HotSubject<T> extends Subject<T> {
  override next(value: T): void {
    if (this.closed) throw new ObjectUnsubscribedError();
    if (this.isStopped) return;
    // rxjs 7's snapshot field (private in its typings): null after every subscribe or unsubscribe.
    const self = this as unknown as { currentObservers: { next(v: T): void }[] | null };
    const obs = (self.currentObservers ??= Array.from(this.observers));
    for (let i = 0; i < obs.length; i++) obs[i]!.next(value);
  }
}
