/**
 * The generic checker of helpers/botocore-model.ts on a small model written here (the real one,
 * botocore's s3control model, is exercised by s3control-fake.int.test.ts), and the pieces of the
 * fake S3 Control that need no server: SigV4, the CSV manifest reader, the CopyObject of a task.
 */
import { describe, expect, it } from '@jest/globals'
import {
  BotocoreModel,
  parseTimestamp,
  type ServiceModel,
  toRegExp,
} from './helpers/botocore-model.js'
import { copyInput, parseCsv } from './helpers/s3control.js'
import { sign, verify } from './helpers/sigv4.js'

const NS = 'http://example.com/doc/2020-01-01/'

const model = new BotocoreModel(
  {
    metadata: { apiVersion: '2020-01-01', protocol: 'rest-xml' },
    operations: {
      PutThing: {
        name: 'PutThing',
        http: { method: 'PUT', requestUri: '/v1/things/{Id}?colour' },
        input: {
          shape: 'PutThingRequest',
          locationName: 'PutThingRequest',
          xmlNamespace: { uri: NS },
        },
        output: { shape: 'PutThingResult' },
      },
      GetThing: {
        name: 'GetThing',
        http: { method: 'GET', requestUri: '/v1/things/{Id}' },
        input: { shape: 'GetThingRequest' },
        output: { shape: 'PutThingResult' },
      },
      GetObject: {
        name: 'GetObject',
        http: { method: 'GET', requestUri: '/v1/objects/{Key+}' },
        input: { shape: 'GetObjectRequest' },
      },
    },
    shapes: {
      PutThingRequest: {
        type: 'structure',
        required: ['Id', 'Owner', 'Size'],
        members: {
          Id: { shape: 'Id', location: 'uri', locationName: 'Id' },
          Owner: { shape: 'Account', location: 'header', locationName: 'x-owner' },
          Tags: { shape: 'Names', location: 'querystring', locationName: 'tag' },
          Size: { shape: 'Size' },
          When: { shape: 'When' },
          Names: { shape: 'Names' },
          Labels: { shape: 'Labels' },
          Choice: { shape: 'Choice' },
          Flag: { shape: 'Flag' },
        },
      },
      GetThingRequest: {
        type: 'structure',
        required: ['Id'],
        members: { Id: { shape: 'Id', location: 'uri', locationName: 'Id' } },
      },
      GetObjectRequest: {
        type: 'structure',
        required: ['Key'],
        members: { Key: { shape: 'Name', location: 'uri', locationName: 'Key' } },
      },
      PutThingResult: {
        type: 'structure',
        members: { Id: { shape: 'Id' }, Names: { shape: 'Names' }, When: { shape: 'When' } },
      },
      Id: { type: 'string', min: 3, max: 8, pattern: '^[a-z\\-\\_]+$' },
      Account: { type: 'string', pattern: '^\\d{3}$' },
      Size: { type: 'integer', min: 1, max: 10 },
      When: { type: 'timestamp' },
      Flag: { type: 'boolean' },
      Name: { type: 'string', enum: ['a', 'b', 'x/y'] },
      Names: { type: 'list', member: { shape: 'Name' }, max: 2 },
      Labels: { type: 'map', key: { shape: 'Name' }, value: { shape: 'Id' } },
      Choice: {
        type: 'structure',
        union: true,
        members: { One: { shape: 'Flag' }, Two: { shape: 'Flag' } },
      },
    },
  } satisfies ServiceModel,
  '(inline)',
)

const body = (inner: string, ns = NS): string =>
  `<?xml version="1.0" encoding="UTF-8"?><PutThingRequest xmlns="${ns}">${inner}</PutThingRequest>`

function parse(path: string, headers: Record<string, string>, xml: string, method = 'PUT') {
  const url = new URL(path, 'http://h')
  const matched = model.match(method, url.pathname, url.searchParams)
  if (!matched) throw new Error(`no match for ${method} ${path}`)
  const { input, problems } = model.parseRequest(matched, {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers,
    body: xml,
  })
  return {
    operation: matched.operation.name,
    input,
    problems: [...problems, ...model.checkInput(matched.operation.name, input)],
  }
}

describe('requests', () => {
  it('are read from their locations with the types of the model', () => {
    const r = parse(
      '/v1/things/ab-c?colour&tag=a&tag=b',
      { 'x-owner': '123' },
      body(
        '<Size>3</Size><When>2026-03-02T10:00:00Z</When><Flag>true</Flag>' +
          '<Names><member>a</member><member>x/y</member></Names>' +
          '<Labels><entry><key>a</key><value>abc</value></entry></Labels>' +
          '<Choice><One>false</One></Choice>',
      ),
    )
    expect(r.operation).toBe('PutThing')
    expect(r.problems).toEqual([])
    expect(r.input).toEqual({
      Id: 'ab-c',
      Owner: '123',
      Tags: ['a', 'b'],
      Size: 3,
      When: new Date('2026-03-02T10:00:00Z'),
      Flag: true,
      Names: ['a', 'x/y'],
      Labels: { a: 'abc' },
      Choice: { One: false },
    })
  })

  it('match the most specific template, fixed query parameters and greedy labels', () => {
    expect(
      model.match('PUT', '/v1/things/abc', new URLSearchParams('colour'))?.operation.name,
    ).toBe('PutThing')
    expect(model.match('PUT', '/v1/things/abc', new URLSearchParams())).toBeUndefined()
    expect(model.match('GET', '/v1/things/abc', new URLSearchParams())?.operation.name).toBe(
      'GetThing',
    )
    expect(model.match('GET', '/v1/objects/x%2Fy/z', new URLSearchParams())?.labels).toEqual({
      Key: 'x/y/z',
    })
    expect(model.match('DELETE', '/v1/things/abc', new URLSearchParams())).toBeUndefined()
  })

  it.each([
    [
      'a missing required body member',
      '<When>2026-03-02T10:00:00Z</When>',
      'PutThingRequest.Size: is required',
    ],
    [
      'an integer above its maximum',
      '<Size>11</Size>',
      'PutThingRequest.Size: 11 is above the maximum 10',
    ],
    ['an integer that is not one', '<Size>1.5</Size>', 'PutThingRequest.Size: must be an integer'],
    [
      'a timestamp that is not ISO 8601',
      '<Size>1</Size><When>Mon, 02 Mar 2026 10:00:00 GMT</When>',
      'must be a timestamp',
    ],
    ['a boolean that is not one', '<Size>1</Size><Flag>yes</Flag>', 'must be true or false'],
    [
      'a list over its maximum',
      '<Size>1</Size><Names><member>a</member><member>a</member><member>b</member></Names>',
      '3 entries, more than the maximum 2',
    ],
    [
      'a list member outside the enum',
      '<Size>1</Size><Names><member>c</member></Names>',
      'PutThingRequest.Names[0]: "c" is not one of a, b, x/y',
    ],
    [
      'a list with a stray element',
      '<Size>1</Size><Names><item>a</item></Names>',
      'unknown element <item> in a list of <member>',
    ],
    [
      'a map value too short',
      '<Size>1</Size><Labels><entry><key>a</key><value>z</value></entry></Labels>',
      'PutThingRequest.Labels["a"]: 1 characters, fewer than the minimum 3',
    ],
    [
      'a map key outside the enum',
      '<Size>1</Size><Labels><entry><key>q</key><value>abc</value></entry></Labels>',
      'key "q": "q" is not one of',
    ],
    [
      'a union with two members',
      '<Size>1</Size><Choice><One>true</One><Two>true</Two></Choice>',
      'exactly one member set, has 2',
    ],
    ['an element given twice', '<Size>1</Size><Size>2</Size>', 'element <Size> given 2 times'],
    ['an unknown element', '<Size>1</Size><Colour>red</Colour>', 'unknown element <Colour>'],
  ])('refuse %s', (_name, inner, problem) => {
    expect(
      parse('/v1/things/abc?colour', { 'x-owner': '123' }, body(inner)).problems.join('\n'),
    ).toContain(problem)
  })

  it('refuse problems of the URI, headers, query, root element and namespace', () => {
    const problems = (path: string, headers: Record<string, string>, xml: string): string =>
      parse(path, headers, xml).problems.join('\n')
    expect(
      problems('/v1/things/ab?colour', { 'x-owner': '123' }, body('<Size>1</Size>')),
    ).toContain('PutThingRequest.Id: 2 characters, fewer than the minimum 3')
    expect(
      problems('/v1/things/ABC?colour', { 'x-owner': '123' }, body('<Size>1</Size>')),
    ).toContain('does not match the pattern ^[a-z\\-\\_]+$')
    expect(problems('/v1/things/abc?colour', {}, body('<Size>1</Size>'))).toContain(
      'PutThingRequest.Owner: is required',
    )
    expect(
      problems('/v1/things/abc?colour&tag=q', { 'x-owner': '123' }, body('<Size>1</Size>')),
    ).toContain('PutThingRequest.Tags[0]: "q" is not one of')
    expect(
      problems('/v1/things/abc?colour&size=1', { 'x-owner': '123' }, body('<Size>1</Size>')),
    ).toContain("unknown query parameter 'size'")
    expect(problems('/v1/things/abc?colour', { 'x-owner': '123' }, '<Other/>')).toContain(
      'root element must be <PutThingRequest>',
    )
    expect(
      problems('/v1/things/abc?colour', { 'x-owner': '123' }, body('<Size>1</Size>', 'urn:x')),
    ).toContain(`must be in the namespace ${NS}`)
    expect(problems('/v1/things/abc?colour', { 'x-owner': '123' }, '<PutThingRequest>')).toContain(
      'XML is not well-formed',
    )
    expect(parse('/v1/things/abc', {}, '<x/>', 'GET').problems).toContain(
      'GetThing: takes no request body',
    )
  })
})

describe('responses', () => {
  it('are checked and serialized in the namespace, lists with <member>, timestamps in ISO 8601', () => {
    const out = model.serializeOutput('PutThing', {
      Id: 'abc',
      Names: ['a', 'b'],
      When: new Date('2026-03-02T10:00:00Z'),
    })
    expect(out.status).toBe(200)
    expect(out.headers['content-type']).toBe('application/xml')
    expect(out.body).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<PutThingResult xmlns="${NS}"><Id>abc</Id>` +
        '<Names><member>a</member><member>b</member></Names><When>2026-03-02T10:00:00.000Z</When></PutThingResult>',
    )
  })

  it('that the model does not allow throw', () => {
    expect(() => model.serializeOutput('PutThing', { Id: 'ABC' })).toThrow(
      /does not match the pattern/,
    )
    expect(() => model.serializeOutput('PutThing', { Names: 'a' })).toThrow(/must be a list/)
    expect(() => model.serializeOutput('PutThing', { When: '2026' })).toThrow(/must be a timestamp/)
    expect(() => model.serializeOutput('PutThing', { Extra: 1 })).toThrow(/unknown member Extra/)
    expect(() => model.serializeOutput('GetObject', { Id: 'abc' })).toThrow(/has no output/)
  })
})

describe('patterns', () => {
  it('keep their meaning in u mode, without the needless escapes u mode refuses', () => {
    expect(toRegExp('^[a-zA-Z0-9\\-\\_]+$').test('a-b_c')).toBe(true)
    expect(toRegExp('^[A-Za-z0-9\\+\\:\\/\\=\\?\\#-_]+$').test('ab+:/=?#')).toBe(true)
    expect(
      toRegExp('arn:[a-z\\-]+:s3:\\d{12}:job\\/.*').test('arn:aws-cn:s3:123456789012:job/x'),
    ).toBe(true)
    expect(toRegExp('^a\\-b$').test('a-b')).toBe(true)
    expect(toRegExp('^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$').test('ü 1=@')).toBe(true)
    expect(toRegExp('^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$').test('a,b')).toBe(false)
    // not anchored unless the pattern says so (Smithy's pattern trait)
    expect(toRegExp('[a-z]+').test('ABc')).toBe(true)
  })

  it('timestamps are read in the format of their location', () => {
    expect(parseTimestamp('2026-03-02T10:00:00.5Z', 'iso8601')?.toISOString()).toBe(
      '2026-03-02T10:00:00.500Z',
    )
    expect(parseTimestamp('Mon, 02 Mar 2026 10:00:00 GMT', 'rfc822')?.toISOString()).toBe(
      '2026-03-02T10:00:00.000Z',
    )
    expect(parseTimestamp('1772445600', 'unixTimestamp')?.toISOString()).toBe(
      '2026-03-02T10:00:00.000Z',
    )
    expect(parseTimestamp('2026-03-02', 'iso8601')).toBeUndefined()
  })
})

describe('the fake S3 Control, without a server', () => {
  const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret' }
  const req = {
    method: 'POST',
    path: '/v20180820/jobs/abc/status',
    rawQuery: 'requestedJobStatus=Ready&statusUpdateReason=a%20b',
    headers: { host: '123456789012.localhost:1234', 'x-amz-account-id': '123456789012' },
    body: '',
  }

  it('verifies the SigV4 signatures it makes, and no other', () => {
    const headers = sign(req, credentials, 'us-east-1', 's3')
    expect(verify({ ...req, headers }, credentials, 'us-east-1', 's3')).toBeUndefined()
    expect(verify({ ...req, headers }, credentials, 'us-west-2', 's3')?.code).toBe(
      'AuthorizationHeaderMalformed',
    )
    expect(
      verify({ ...req, headers }, { ...credentials, secretAccessKey: 'x' }, 'us-east-1', 's3')
        ?.code,
    ).toBe('SignatureDoesNotMatch')
    expect(
      verify(
        { ...req, headers, rawQuery: 'requestedJobStatus=Cancelled' },
        credentials,
        'us-east-1',
        's3',
      )?.code,
    ).toBe('SignatureDoesNotMatch')
    expect(verify({ ...req, headers, body: 'x' }, credentials, 'us-east-1', 's3')?.code).toBe(
      'XAmzContentSHA256Mismatch',
    )
    expect(verify(req, credentials, 'us-east-1', 's3')?.code).toBe('AccessDenied')
  })

  it('reads CSV manifests: quoted fields, CRLF, no empty rows', () => {
    expect(parseCsv('b,k1,v1\r\nb,"k,2",v2\n\n"b","say ""hi""",\n')).toEqual([
      ['b', 'k1', 'v1'],
      ['b', 'k,2', 'v2'],
      ['b', 'say "hi"', ''],
    ])
    expect(parseCsv('')).toEqual([])
  })

  it("copies a task's version in place: metadata and tags copied, STANDARD unless told", () => {
    const task = {
      bucket: 'b',
      key: 'dir/a b+ü.txt',
      manifestKey: 'dir/a%20b%2B%C3%BC.txt',
      versionId: 'v+1',
    }
    expect(
      copyInput({ TargetResource: 'arn:aws:s3:::b', MetadataDirective: 'COPY' }, task),
    ).toMatchObject({
      Bucket: 'b',
      Key: 'dir/a b+ü.txt',
      CopySource: 'b/dir/a%20b%2B%C3%BC.txt?versionId=v%2B1',
      MetadataDirective: 'COPY',
      TaggingDirective: 'COPY',
      StorageClass: 'STANDARD',
    })
    const other = copyInput(
      {
        TargetResource: 'arn:aws:s3:::t',
        StorageClass: 'GLACIER_IR',
        SSEAwsKmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k',
        NewObjectTagging: [{ Key: 'a', Value: 'b c' }],
        TargetKeyPrefix: 'copy/',
      },
      { ...task, versionId: undefined },
    )
    expect(other).toMatchObject({
      Bucket: 't',
      Key: 'copy/dir/a b+ü.txt',
      CopySource: 'b/dir/a%20b%2B%C3%BC.txt',
      StorageClass: 'GLACIER_IR',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k',
      TaggingDirective: 'REPLACE',
      Tagging: 'a=b%20c',
    })
  })
})
