// kafkajs ships no types for its internal modules; kafkajs-request-queue.ts replaces one method of this class.
declare module 'kafkajs/src/network/requestQueue/index.js' {
  const RequestQueue: { prototype: object };
  export default RequestQueue;
}
