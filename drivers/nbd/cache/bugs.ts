/**
 * Test-only injectable cache bugs (the catalogue's `cache-*` entries): each breaks one guarantee
 * a scenario must then catch.
 */
export class CacheBugs {
  /** A FLUSH goes to the server before the dirty data it covers was written back. */
  flushBeforeWriteBack = false;
  /** A write leaves the cached copy of its range as it was (reads hit the old data). */
  staleRead = false;
  /** A lost connection drops the dirty data instead of writing it back after the reconnect. */
  dropDirtyOnReconnect = false;
}
