// The run request body checked against Adobe's own OpenAPI description (CreateFlowRunRequest), when
// ../shared is beside the project. Users who clone the project without it see the test skipped.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildRunRequest } from '../../src/flow-service.ts';

const SPEC = resolve(import.meta.dirname, '../../../shared/flow-service/flow-service.yaml');
const haveSpec = existsSync(SPEC);

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  $ref?: string;
}

/** The few JSON Schema rules the OpenAPI file uses for this body: type, properties, $ref. */
function violations(value: unknown, schema: Schema, root: Record<string, Schema>, path = '$'): string[] {
  if (schema.$ref) return violations(value, root[schema.$ref.split('/').pop()!]!, root, path);
  const type = Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (schema.type && !(schema.type === type || (schema.type === 'number' && type === 'integer'))) {
    return [`${path} is ${type}, the schema says ${schema.type}`];
  }
  if (type !== 'object' || !schema.properties) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, v]) => {
    const property = schema.properties![key];
    if (property) return violations(v, property, root, `${path}.${key}`);
    return schema.additionalProperties === false ? [`${path}.${key} is not in the schema`] : [];
  });
}

describe.skipIf(!haveSpec)('the run request matches CreateFlowRunRequest in flow-service.yaml', () => {
  const spec = haveSpec ? parse(readFileSync(SPEC, 'utf8')) : undefined;
  const schemas = spec?.components?.schemas as Record<string, Schema>;
  const base = {
    flowId: '3abea21c-7e36-4be1-bec1-d3bad0e3e0de',
    startTime: 1700000000,
    windowStart: 1699913600,
    windowEnd: 1700000000,
  };

  it('for a file-based source', () => {
    const body = JSON.parse(JSON.stringify(buildRunRequest({ ...base, deltaColumn: undefined })));
    expect(violations(body, schemas.CreateFlowRunRequest!, schemas)).toEqual([]);
    expect(Object.keys(body.params)).toEqual(['startTime', 'windowStartTime', 'windowEndTime']);
  });

  it('for a table-based source (deltaColumn is documented by the tutorial, not the schema)', () => {
    const body = JSON.parse(JSON.stringify(buildRunRequest({ ...base, deltaColumn: 'DOB' })));
    expect(violations(body, schemas.CreateFlowRunRequest!, schemas)).toEqual([]);
    expect(body.params.deltaColumn).toEqual({ name: 'DOB' });
  });

  it('would catch times sent as strings, as the tutorial sends them', () => {
    const body = { flowId: base.flowId, params: { startTime: '1700000000', windowStartTime: 1, windowEndTime: 2 } };
    expect(violations(body, schemas.CreateFlowRunRequest!, schemas)).toEqual([
      '$.params.startTime is string, the schema says integer',
    ]);
  });
});

it.runIf(!haveSpec)(
  'skips the OpenAPI contract check: ../shared/flow-service/flow-service.yaml is not beside the project',
  () => {
    console.log(`skipped: ${SPEC} not found`);
  },
);
