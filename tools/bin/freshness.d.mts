/** Types of freshness.mjs (plain JavaScript so the bin runs without tsx). */
export declare const BUILD_INFO: string;
export declare function staleReason(root: string): string | undefined;
