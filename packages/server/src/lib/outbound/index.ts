export { type DownloadOptions, type DownloadResult, downloadToFile } from './download.ts';
export { OUTBOUND_ERRORS, type OutboundErrorCode, outboundError, redactUrl } from './outbound.errors.ts';
export {
  type AddressClass,
  addressRefusal,
  classifyAddress,
  DEFAULT_OUTBOUND_POLICY,
  hostKey,
  type OutboundPolicy,
  urlRefusal,
} from './policy.ts';
