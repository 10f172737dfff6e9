import { describe, expect, it } from 'vitest';
import { signAwsRequest } from '../../src/scm/aws-sigv4.js';

// The AWS Signature Version 4 test suite's credentials, time and expected signatures.
const SUITE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const AT = new Date('2015-08-30T12:36:00Z');
const sign = (method: string, url: string, headers: Record<string, string>, body: string) =>
  signAwsRequest({ method, url: new URL(url), headers, body, region: 'us-east-1', service: 'service' }, SUITE, AT).authorization;
const expected = (signedHeaders: string, signature: string) =>
  `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${signedHeaders}, Signature=${signature}`;

describe('signAwsRequest (AWS SigV4 test suite)', () => {
  it('signs get-vanilla, post-vanilla and post-vanilla-query as the suite does', () => {
    expect(sign('GET', 'https://example.amazonaws.com/', {}, '')).toBe(
      expected('host;x-amz-date', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'),
    );
    expect(sign('POST', 'https://example.amazonaws.com/', {}, '')).toBe(
      expected('host;x-amz-date', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'),
    );
    expect(sign('POST', 'https://example.amazonaws.com/?Param1=value1', {}, '')).toBe(
      expected('host;x-amz-date', '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11'),
    );
  });

  it('signs a body and its content type (post-x-www-form-urlencoded)', () => {
    expect(sign('POST', 'https://example.amazonaws.com/', { 'content-type': 'application/x-www-form-urlencoded' }, 'Param1=value1')).toBe(
      expected('content-type;host;x-amz-date', 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a'),
    );
  });

  it('signs the session token of temporary credentials and sends it, never the secret', () => {
    const headers = signAwsRequest(
      { method: 'POST', url: new URL('https://example.amazonaws.com/'), headers: {}, body: '', region: 'us-east-1', service: 'service' },
      { ...SUITE, sessionToken: 'session-token' },
      AT,
    );
    expect(headers['x-amz-security-token']).toBe('session-token');
    expect(headers.authorization).toContain('SignedHeaders=host;x-amz-date;x-amz-security-token,');
    expect(JSON.stringify(headers)).not.toContain(SUITE.secretAccessKey);
  });
});
