// The plugin ships no types. Only its signing module is imported: its entry point loads the AWS SDK v2 (see
// keyspaces-auth.ts).
declare module 'aws-sigv4-auth-cassandra-plugin/lib/sigv4-auth-signature.js' {
  /** The response to a Keyspaces SigV4 challenge: `signature=...,access_key=...,amzdate=...[,session_token=...]`. */
  export function computeSigV4SignatureCassandraRequest(request: {
    region: string;
    nonce: string;
    date: Date;
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string | undefined;
  }): string;
}
