/**
 * Items kept in the order `compare` gives, found by binary search. Adding and removing move the
 * items after the spot (a memmove): cheap for the lists it serves, whose items mostly arrive at the
 * end (later deadlines, newer applications) and number what is in flight or one partner's history.
 * `compare` must order every two distinct items strictly (ties broken by id), and an item's key
 * must not change while it is in the list.
 */
export class SortedList<T> {
  private readonly items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  at(index: number): T {
    return this.items[index];
  }

  add(item: T): void {
    const last = this.items.at(-1);
    if (last === undefined || this.compare(last, item) < 0) this.items.push(item);
    else this.items.splice(this.firstWhere((other) => this.compare(other, item) >= 0), 0, item);
  }

  delete(item: T): void {
    const index = this.firstWhere((other) => this.compare(other, item) >= 0);
    if (this.items[index] === item) this.items.splice(index, 1);
  }

  /** The index of the first item for which `from` holds (or size): `from` must be false, then true, along the list. */
  firstWhere(from: (item: T) => boolean): number {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (from(this.items[middle])) high = middle;
      else low = middle + 1;
    }
    return low;
  }
}
