import type { LifecycleRule } from '@aws-sdk/client-s3'
import { describe, expect, it } from '@jest/globals'
import {
  describeRule,
  guaranteedWindow,
  ruleApplies,
  ruleUsesTags,
  type RuleSubject,
} from '../src/verify/lifecycle.js'

const NOW = new Date('2024-06-01T12:00:00Z')
const rule = (r: Partial<LifecycleRule>): LifecycleRule => ({
  ID: 'r',
  Status: 'Enabled',
  Filter: {},
  ...r,
})
const usa: RuleSubject = {
  key: 'data/usa.csv',
  size: 1000,
  tags: { tier: 'cold', team: 'maps' },
}

describe('ruleApplies', () => {
  it.each<[string, Partial<LifecycleRule>, RuleSubject, boolean]>([
    ['empty filter: every object', {}, usa, true],
    ['no Filter and no Prefix: every object', { Filter: undefined }, usa, true],
    ['Disabled rules never apply', { Status: 'Disabled' }, usa, false],
    ['Filter.Prefix matches', { Filter: { Prefix: 'data/' } }, usa, true],
    ['Filter.Prefix differs', { Filter: { Prefix: 'logs/' } }, usa, false],
    ['prefix is case-sensitive', { Filter: { Prefix: 'Data/' } }, usa, false],
    ['legacy top-level Prefix matches', { Filter: undefined, Prefix: 'data/u' }, usa, true],
    ['legacy top-level Prefix differs', { Filter: undefined, Prefix: 'tmp/' }, usa, false],
    ['Tag present', { Filter: { Tag: { Key: 'tier', Value: 'cold' } } }, usa, true],
    ['Tag with another value', { Filter: { Tag: { Key: 'tier', Value: 'hot' } } }, usa, false],
    ['Tag absent', { Filter: { Tag: { Key: 'x', Value: '' } } }, usa, false],
    [
      'Tag, tags unknown: counted',
      { Filter: { Tag: { Key: 'x', Value: 'y' } } },
      { key: 'k' },
      true,
    ],
    [
      'And: prefix and every tag',
      {
        Filter: {
          And: {
            Prefix: 'data/',
            Tags: [
              { Key: 'tier', Value: 'cold' },
              { Key: 'team', Value: 'maps' },
            ],
          },
        },
      },
      usa,
      true,
    ],
    [
      'And: one tag missing',
      {
        Filter: {
          And: {
            Prefix: 'data/',
            Tags: [
              { Key: 'tier', Value: 'cold' },
              { Key: 'team', Value: 'tiles' },
            ],
          },
        },
      },
      usa,
      false,
    ],
    [
      'And: prefix differs',
      { Filter: { And: { Prefix: 'x/', Tags: [{ Key: 'tier', Value: 'cold' }] } } },
      usa,
      false,
    ],
    ['ObjectSizeGreaterThan below', { Filter: { ObjectSizeGreaterThan: 999 } }, usa, true],
    ['ObjectSizeGreaterThan is strict', { Filter: { ObjectSizeGreaterThan: 1000 } }, usa, false],
    ['ObjectSizeLessThan above', { Filter: { ObjectSizeLessThan: 1001 } }, usa, true],
    ['ObjectSizeLessThan is strict', { Filter: { ObjectSizeLessThan: 1000 } }, usa, false],
    [
      'And: size range that holds',
      { Filter: { And: { ObjectSizeGreaterThan: 10, ObjectSizeLessThan: 2000 } } },
      usa,
      true,
    ],
    [
      'And: size range that does not',
      { Filter: { And: { Prefix: 'data/', ObjectSizeGreaterThan: 5000 } } },
      usa,
      false,
    ],
    ['size unknown: counted', { Filter: { ObjectSizeGreaterThan: 5000 } }, { key: 'k' }, true],
  ])('%s', (_name, r, subject, expected) => {
    expect(ruleApplies(rule(r), subject)).toBe(expected)
  })

  it('knows which rules need tags', () => {
    expect(ruleUsesTags(rule({ Filter: { Tag: { Key: 'a', Value: 'b' } } }))).toBe(true)
    expect(ruleUsesTags(rule({ Filter: { And: { Tags: [{ Key: 'a', Value: 'b' }] } } }))).toBe(true)
    expect(ruleUsesTags(rule({ Filter: { And: { Prefix: 'a', Tags: [] } } }))).toBe(false)
    expect(ruleUsesTags(rule({ Filter: { Prefix: 'a' } }))).toBe(false)
  })
})

describe('guaranteedWindow', () => {
  it.each<[string, Array<Partial<LifecycleRule>>, number | null]>([
    ['no rules: unlimited', [], null],
    ['NoncurrentDays 30: 30 days', [{ NoncurrentVersionExpiration: { NoncurrentDays: 30 } }], 30],
    [
      'NewerNoncurrentVersions keeps more, never less: still NoncurrentDays',
      [{ NoncurrentVersionExpiration: { NoncurrentDays: 30, NewerNoncurrentVersions: 5 } }],
      30,
    ],
    [
      'NewerNoncurrentVersions without NoncurrentDays: a count, not a time: 0',
      [{ NoncurrentVersionExpiration: { NewerNoncurrentVersions: 5 } }],
      0,
    ],
    [
      'noncurrent versions archived to GLACIER before they expire: the transition',
      [
        {
          NoncurrentVersionExpiration: { NoncurrentDays: 90 },
          NoncurrentVersionTransitions: [{ NoncurrentDays: 10, StorageClass: 'GLACIER' }],
        },
      ],
      10,
    ],
    [
      'DEEP_ARCHIVE transition counts too',
      [{ NoncurrentVersionTransitions: [{ NoncurrentDays: 45, StorageClass: 'DEEP_ARCHIVE' }] }],
      45,
    ],
    [
      'STANDARD_IA, ONEZONE_IA, GLACIER_IR and INTELLIGENT_TIERING stay copyable',
      [
        {
          NoncurrentVersionTransitions: [
            { NoncurrentDays: 1, StorageClass: 'STANDARD_IA' },
            { NoncurrentDays: 2, StorageClass: 'ONEZONE_IA' },
            { NoncurrentDays: 3, StorageClass: 'GLACIER_IR' },
            { NoncurrentDays: 4, StorageClass: 'INTELLIGENT_TIERING' },
          ],
        },
      ],
      null,
    ],
    [
      'current objects archived after 365 days: nothing guaranteed',
      [{ Transitions: [{ Days: 365, StorageClass: 'GLACIER' }] }],
      0,
    ],
    [
      'current objects archived since a past date: nothing guaranteed',
      [{ Transitions: [{ Date: new Date('2024-01-01T00:00:00Z'), StorageClass: 'GLACIER' }] }],
      0,
    ],
    [
      'a transition date still ahead does not limit yet',
      [{ Transitions: [{ Date: new Date('2025-01-01T00:00:00Z'), StorageClass: 'GLACIER' }] }],
      null,
    ],
    [
      'Expiration of current objects adds delete markers only',
      [{ Expiration: { Days: 1 } }, { Expiration: { ExpiredObjectDeleteMarker: true } }],
      null,
    ],
    [
      'several rules: the shortest',
      [
        { ID: 'long', NoncurrentVersionExpiration: { NoncurrentDays: 90 } },
        { ID: 'short', NoncurrentVersionExpiration: { NoncurrentDays: 7 } },
      ],
      7,
    ],
  ])('%s', (_name, rules, days) => {
    expect(guaranteedWindow(rules.map(rule), NOW).days).toBe(days)
  })

  it('names the rule and action that limit the window', () => {
    const w = guaranteedWindow(
      [
        rule({ ID: 'expire-old', NoncurrentVersionExpiration: { NoncurrentDays: 1 } }),
        rule({ ID: 'cold', Transitions: [{ Days: 30, StorageClass: 'DEEP_ARCHIVE' }] }),
      ],
      NOW,
    )
    expect(w.limits).toEqual([
      expect.objectContaining({
        ruleId: 'expire-old',
        action: 'NoncurrentVersionExpiration',
        days: 1,
        detail: 'deletes noncurrent versions 1 day after they are replaced',
      }),
      expect.objectContaining({ ruleId: 'cold', action: 'Transition', days: 0 }),
    ])
  })

  it('notes what does not shorten the window', () => {
    const w = guaranteedWindow(
      [
        rule({
          ID: 'keep5',
          NoncurrentVersionExpiration: { NoncurrentDays: 30, NewerNoncurrentVersions: 5 },
        }),
        rule({ ID: 'marker', Expiration: { Days: 3 } }),
        rule({
          ID: 'later',
          Transitions: [{ Date: new Date('2025-01-01T00:00:00Z'), StorageClass: 'GLACIER' }],
        }),
        rule({ ID: 'it', Transitions: [{ Days: 0, StorageClass: 'INTELLIGENT_TIERING' }] }),
      ],
      NOW,
    )
    expect(w.notes).toEqual([
      expect.stringContaining('keep5: keeps the 5 newest noncurrent versions past 30 days'),
      expect.stringContaining('marker: current objects get a delete marker 3 days after'),
      expect.stringContaining('later: on 2025-01-01 current objects move to GLACIER'),
      expect.stringContaining('it: moves versions to INTELLIGENT_TIERING'),
    ])
  })
})

describe('describeRule', () => {
  it('says what a rule matches and does', () => {
    expect(
      describeRule(
        rule({
          ID: 'tiles',
          Filter: {
            And: {
              Prefix: 'tiles/',
              Tags: [{ Key: 'tier', Value: 'cold' }],
              ObjectSizeLessThan: 9,
            },
          },
          NoncurrentVersionExpiration: { NoncurrentDays: 30, NewerNoncurrentVersions: 3 },
          NoncurrentVersionTransitions: [{ NoncurrentDays: 7, StorageClass: 'GLACIER' }],
        }),
      ),
    ).toBe(
      'tiles [Enabled] prefix tiles/ and tag tier=cold and size < 9: ' +
        'NoncurrentVersionExpiration 30d (keep 3), NoncurrentVersionTransition GLACIER 7d',
    )
    expect(describeRule(rule({ ID: undefined, Expiration: { Days: 3 } }))).toBe(
      '(no ID) [Enabled] all objects: Expiration 3d',
    )
  })
})
