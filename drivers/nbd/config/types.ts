/** Nanoseconds of virtual time (same as hw-sim/engine's Ns). */
export type Ns = number;

export interface NbdServerConfig {
  readonly name: string;
  /** IPv4 address or host name; undefined means "the scenario host of this name". */
  readonly address: string | undefined;
  readonly port: number;
  /** Export name to attach; "" is the server's default export. */
  readonly export: string;
  /** Backend identity the server must serve; undefined: the device's (config/backend.ts). */
  readonly backend?: string | undefined;
  /** 'backup': carries I/O only while every primary server is down (drivers/nbd/health/failover.ts). */
  readonly role?: 'primary' | 'backup';
}

export interface NbdExportConfig {
  readonly name: string;
  /** Block device name (nbdN); undefined lets the driver number devices in order. */
  readonly device: string | undefined;
  readonly access: 'rw' | 'ro';
  /** 'mirror': client-side mirror over the device's servers (drivers/nbd/mirror). */
  readonly mode?: 'shared' | 'mirror' | undefined;
}

export interface NbdReconnectConfig {
  /** First retry delay; each later one doubles up to capNs. */
  readonly baseNs: Ns;
  readonly capNs: Ns;
  /** Fraction in [0, 1] of each delay that is drawn from the reconnect RNG stream. */
  readonly jitter: number;
}

export interface NbdTlsConfig {
  /** Pre-shared key, lower-case hex. */
  readonly pskHex: string;
  readonly identity: string;
  readonly required: boolean;
}

/** The driver's configuration, normalised: times in integer ns, sizes in bytes. */
export interface NbdConfig {
  readonly connectionMaxCount: number;
  readonly connectionPoolSize: number;
  readonly connectionTimeoutNs: Ns;
  readonly connectionRetryCount: number;
  readonly serverMaxCount: number;
  readonly serverLoadBalancing: boolean;
  readonly serverFailoverEnabled: boolean;
  readonly serverHealthCheckIntervalNs: Ns;
  /** Health probe deadline; failures / successes in a row to mark a server down / up (drivers/nbd/health/probe.ts). */
  readonly serverHealthProbeTimeoutNs: Ns;
  readonly serverHealthDownAfter: number;
  readonly serverHealthUpAfter: number;
  readonly readAheadBytes: number;
  readonly writeBackCache: boolean;
  readonly writeBackCacheBytes: number;
  readonly localCacheBytes: number;
  readonly compressionEnabled: boolean;
  /** Ask for end-to-end CRC-32C on every payload (docs/nbd-extensions.md). */
  readonly checksumEnabled: boolean;
  /** Ask for NBD_OPT_EXTENDED_HEADERS; refused, the connection uses structured replies. */
  readonly extendedHeaders: boolean;
  readonly tcpEnabled: boolean;
  readonly udpEnabled: boolean;
  readonly connectionPooling: boolean;
  readonly loadBalancing: boolean;
  readonly failoverEnabled: boolean;
  /** A connection silent this long is declared dead; its requests fail with EIO if none is left. */
  readonly deadConnTimeoutNs: Ns;
  /** Per-request timeout handed to the block layer. */
  readonly requestTimeoutNs: Ns;
  readonly reconnect: NbdReconnectConfig;
  readonly tls: NbdTlsConfig | undefined;
  /** Backend identity every server of the device serves; undefined: learnt from the first server. */
  readonly backend?: string | undefined;
  /** Mirror devices: resync bandwidth, bytes per second. */
  readonly resyncRateBps: number;
  /** Mirror devices: bytes per dirty-bitmap region. */
  readonly resyncRegionBytes: number;
  readonly servers: readonly NbdServerConfig[];
  /** Listed exports, or one per distinct server export when the file lists none. */
  readonly exports: readonly NbdExportConfig[];
}
