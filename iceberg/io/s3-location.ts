import { FloeError } from '../../core/errors.js';

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

const S3_SCHEMES = ['s3:', 's3a:', 's3n:'];

export function isS3Location(location: string): boolean {
  return S3_SCHEMES.some((scheme) => location.startsWith(`${scheme}//`));
}

/** `s3://bucket/a/b` (or s3a/s3n, as Hadoop-era tables spell it) → bucket and key. */
export function parseS3Location(location: string): S3Location {
  const match = /^s3[an]?:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!match || match[1] === undefined) {
    throw new FloeError('invalid-input', `Not an S3 location: ${location} (expected s3://bucket/key)`, { context: { location } });
  }
  return { bucket: match[1], key: match[2] ?? '' };
}

export function s3LocationOf(bucket: string, key: string, scheme = 's3:'): string {
  return `${scheme}//${bucket}/${key}`;
}
