// The feature type grammar (features/feature-types.ts, docs/reference/definitions.md "Feature
// types"): what a definition may spell, its canonical form, the Iceberg column it makes, the
// mistakes it refuses by name, and the declared-type rule over nested types.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FloeError } from '../../../core/errors.js';
import { featureColumnType, parseFeatureType } from '../../../features/feature-types.js';
import { defineFeatureView } from '../../../features/definitions.js';
import type { IcebergType } from '../../../iceberg/spec/types.js';
import { readsAs, typeText } from '../../../iceberg/spec/types.js';

const list = (element: IcebergType): IcebergType => ({ type: 'list', elementId: 0, element, elementRequired: false });
const map = (value: IcebergType): IcebergType => ({ type: 'map', keyId: 0, key: 'string', valueId: 0, value, valueRequired: false });
const struct = (...fields: [string, IcebergType][]): IcebergType => ({
  type: 'struct',
  fields: fields.map(([name, type]) => ({ id: 0, name, required: false, type })),
});

describe('feature types', () => {
  it('parses primitives, json and nested types into their canonical spelling and Iceberg column type', () => {
    const cases: [string, string, IcebergType][] = [
      ['double', 'double', 'double'],
      [' json ', 'json', 'string'],
      ['list<float>', 'list<float>', list('float')],
      ['list< double >', 'list<double>', list('double')],
      ['map<string, long>', 'map<string,long>', map('long')],
      ['struct<name: string, age: int>', 'struct<name:string,age:int>', struct(['name', 'string'], ['age', 'int'])],
      [
        'map<string,struct<tags:list<string>,score:double>>',
        'map<string,struct<tags:list<string>,score:double>>',
        map(struct(['tags', list('string')], ['score', 'double'])),
      ],
      ['list<list<int>>', 'list<list<int>>', list(list('int'))],
    ];
    for (const [written, canonical, column] of cases) {
      assert.equal(parseFeatureType(written), canonical, written);
      assert.deepEqual(featureColumnType(parseFeatureType(written)), column, written);
      assert.equal(parseFeatureType(canonical), canonical, `${canonical} is a fixed point`);
    }
  });

  it('refuses what the grammar does not allow, saying where and what it expected', () => {
    const cases: [string, RegExp][] = [
      ['list<float', /expected ">", found the end \(at character 11 of "list<float"\)/],
      ['map<long,double>', /a map's key type must be string .*not "long"/],
      ['struct<a:int,a:long>', /struct field a appears twice/],
      ['struct<>', /expected a struct field name/],
      ['list<json>', /json is a whole feature’s type; inside a list, map or struct use string/],
      ['vector', /expected a type \(boolean, int, long, .*list<…>, map<string,…>, struct<name:type,…>\), found "vector"/],
      ['list<float>>', /unexpected ">" after the type/],
      ['List<float>', /expected a type/],
      ['decimal(9, 2)', /expected a type/],
    ];
    for (const [text, message] of cases) assert.throws(() => parseFeatureType(text), message, text);
  });

  it('a definition keeps the canonical spelling and names the view and feature of a bad type', () => {
    const view = defineFeatureView({
      name: 'profile',
      entities: ['driver'],
      source: 'stats',
      features: [
        { name: 'embedding', type: 'list< float >' },
        { name: 'config', type: 'json' },
      ],
    });
    assert.deepEqual(
      view.features.map((feature) => feature.type),
      ['list<float>', 'json'],
    );
    assert.throws(
      () =>
        defineFeatureView({ name: 'profile', entities: ['driver'], source: 'stats', features: [{ name: 'meta', type: 'map<int,long>' }] }),
      (error: unknown) =>
        FloeError.is(error, 'invalid-input') &&
        /Invalid feature view "?profile"?: features\.0\.type: a map's key type must be string/.test(error.message),
    );
  });

  it('a nested declaration reads a column of the same shape, widening only int → long and float → double inside it', () => {
    const cases: [actual: string, declared: string, accepted: boolean][] = [
      ['list<float>', 'list<float>', true],
      ['list<float>', 'list<double>', true],
      ['list<double>', 'list<float>', false],
      ['list<int>', 'list<long>', true],
      ['list<long>', 'list<int>', false],
      ['float', 'list<float>', false],
      ['list<float>', 'float', false],
      ['map<string,int>', 'map<string,long>', true],
      ['map<string,long>', 'map<string,string>', false],
      ['struct<name:string,age:int>', 'struct<name:string,age:long>', true],
      ['struct<name:string,age:int>', 'struct<age:int,name:string>', false],
      ['struct<name:string,age:int>', 'struct<name:string>', false],
      ['struct<name:string>', 'map<string,string>', false],
      ['string', 'json', true],
      ['long', 'json', false],
    ];
    for (const [actual, declared, accepted] of cases)
      assert.equal(
        readsAs(featureColumnType(parseFeatureType(actual)), featureColumnType(parseFeatureType(declared))),
        accepted,
        `${declared} over ${actual}`,
      );
    assert.equal(typeText(featureColumnType('map<string,list<double>>')), 'map<string,list<double>>');
  });
});
