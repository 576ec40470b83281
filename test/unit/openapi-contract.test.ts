// The run request body checked against the facts of Adobe's CreateFlowRunRequest, kept here in the
// project's own words so that the check runs in every clone; and those facts cross-checked against
// Adobe's OpenAPI description itself when ../shared is beside the project.
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

/**
 * What Adobe's OpenAPI description says of the run request (CreateFlowRunRequest), in our words: an
 * object with `flowId`, a string, and `params`, an object whose `startTime`, `windowStartTime` and
 * `windowEndTime` are integers (its examples are unix seconds, though its prose says milliseconds).
 * It does not list `deltaColumn`, which the tutorial documents for table-based sources.
 */
const CREATE_FLOW_RUN_REQUEST: Schema = {
  type: 'object',
  properties: {
    flowId: { type: 'string' },
    params: {
      type: 'object',
      properties: {
        startTime: { type: 'integer' },
        windowStartTime: { type: 'integer' },
        windowEndTime: { type: 'integer' },
      },
    },
  },
};

const base = {
  flowId: '3abea21c-7e36-4be1-bec1-d3bad0e3e0de',
  startTime: 1700000000,
  windowStart: 1699913600,
  windowEnd: 1700000000,
};

describe('the run request matches CreateFlowRunRequest', () => {
  it('for a file-based source', () => {
    const body = JSON.parse(JSON.stringify(buildRunRequest({ ...base, deltaColumn: undefined })));
    expect(violations(body, CREATE_FLOW_RUN_REQUEST, {})).toEqual([]);
    expect(Object.keys(body.params)).toEqual(['startTime', 'windowStartTime', 'windowEndTime']);
  });

  it('for a table-based source (deltaColumn is documented by the tutorial, not the schema)', () => {
    const body = JSON.parse(JSON.stringify(buildRunRequest({ ...base, deltaColumn: 'DOB' })));
    expect(violations(body, CREATE_FLOW_RUN_REQUEST, {})).toEqual([]);
    expect(body.params.deltaColumn).toEqual({ name: 'DOB' });
  });

  it('would catch times sent as strings, as the tutorial sends them', () => {
    const body = { flowId: base.flowId, params: { startTime: '1700000000', windowStartTime: 1, windowEndTime: 2 } };
    expect(violations(body, CREATE_FLOW_RUN_REQUEST, {})).toEqual([
      '$.params.startTime is string, the schema says integer',
    ]);
  });
});

describe.skipIf(!haveSpec)('those facts agree with CreateFlowRunRequest in flow-service.yaml', () => {
  const spec = haveSpec ? parse(readFileSync(SPEC, 'utf8')) : undefined;
  const schemas = spec?.components?.schemas as Record<string, Schema>;

  it("has the same properties and types as Adobe's description", () => {
    const adobe = schemas.CreateFlowRunRequest!;
    const shape = (schema: Schema): unknown => ({
      type: schema.type,
      properties: Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([k, v]) => [k, v.properties ? shape(v) : { type: v.type }]),
      ),
    });
    expect(shape(adobe)).toEqual(shape(CREATE_FLOW_RUN_REQUEST));
  });

  it("and the body passes Adobe's description itself", () => {
    const body = JSON.parse(JSON.stringify(buildRunRequest({ ...base, deltaColumn: 'DOB' })));
    expect(violations(body, schemas.CreateFlowRunRequest!, schemas)).toEqual([]);
  });
});

it.runIf(!haveSpec)(
  "skips the cross-check with Adobe's file: ../shared/flow-service/flow-service.yaml is not beside the project",
  () => {
    console.log(`skipped: ${SPEC} not found`);
  },
);
