/** Table updates and requirements in the REST catalog's wire form (`action` / `type`, kebab-case). */
import { FloeError } from '../../core/errors.js';
import type { JsonAt } from '../spec/json.js';
import { arrayOf, asInt, asLong, asObject, asString, asStringMap, childAt, optional, required } from '../spec/json.js';
import type { FormatVersion } from '../spec/metadata.js';
import { parsePartitionSpec, partitionSpecToJson } from '../spec/partition-json.js';
import { parseSchema, schemaToJson } from '../spec/schema-json.js';
import { parseRefRetention, parseRefType, parseSnapshot, refRetentionToJson, snapshotToJson } from '../spec/snapshot-json.js';
import { parseSortOrder, sortOrderToJson } from '../spec/sort-order-json.js';
import type { TableRequirement, TableUpdate } from './updates.js';
import { defined } from '../../contracts/defined.js';

export function updateToJson(update: TableUpdate): Record<string, unknown> {
  const { action } = update;
  switch (update.action) {
    case 'assign-uuid':
      return { action, uuid: update.uuid };
    case 'upgrade-format-version':
      return { action, 'format-version': update.formatVersion };
    case 'add-schema':
      return {
        action,
        schema: schemaToJson(update.schema),
        ...defined({ 'last-column-id': update.lastColumnId }),
      };
    case 'set-current-schema':
      return { action, 'schema-id': update.schemaId };
    case 'add-spec':
      return { action, spec: partitionSpecToJson(update.spec) };
    case 'set-default-spec':
      return { action, 'spec-id': update.specId };
    case 'add-sort-order':
      return { action, 'sort-order': sortOrderToJson(update.sortOrder) };
    case 'set-default-sort-order':
      return { action, 'sort-order-id': update.sortOrderId };
    case 'add-snapshot':
      return { action, snapshot: snapshotToJson(update.snapshot) };
    case 'set-snapshot-ref':
      return { action, 'ref-name': update.refName, 'snapshot-id': update.snapshotId, type: update.type, ...refRetentionToJson(update) };
    case 'remove-snapshots':
      return { action, 'snapshot-ids': [...update.snapshotIds] };
    case 'remove-snapshot-ref':
      return { action, 'ref-name': update.refName };
    case 'set-location':
      return { action, location: update.location };
    case 'set-properties':
      return { action, updates: { ...update.updates } };
    case 'remove-properties':
      return { action, removals: [...update.removals] };
  }
}

export function updateFromJson(value: unknown, at: JsonAt): TableUpdate {
  const object = asObject(value, at);
  const action = required(object, 'action', at, asString);
  switch (action) {
    case 'assign-uuid':
      return { action, uuid: required(object, 'uuid', at, asString) };
    case 'upgrade-format-version': {
      const formatVersion = required(object, 'format-version', at, asInt);
      if (formatVersion < 1 || formatVersion > 3) {
        throw new FloeError('unsupported', `Format version ${formatVersion} is not supported (${at.path} in ${at.source})`, {
          context: { location: at.source, field: at.path },
        });
      }
      return { action, formatVersion: formatVersion as FormatVersion };
    }
    case 'add-schema': {
      const lastColumnId = optional(object, 'last-column-id', at, asInt);
      return { action, schema: required(object, 'schema', at, parseSchema), ...defined({ lastColumnId }) };
    }
    case 'set-current-schema':
      return { action, schemaId: required(object, 'schema-id', at, asInt) };
    case 'add-spec':
      return { action, spec: required(object, 'spec', at, parsePartitionSpec) };
    case 'set-default-spec':
      return { action, specId: required(object, 'spec-id', at, asInt) };
    case 'add-sort-order':
      return { action, sortOrder: required(object, 'sort-order', at, parseSortOrder) };
    case 'set-default-sort-order':
      return { action, sortOrderId: required(object, 'sort-order-id', at, asInt) };
    case 'add-snapshot':
      return { action, snapshot: required(object, 'snapshot', at, (raw, snapshotAt) => parseSnapshot(raw, snapshotAt, 2)) };
    case 'set-snapshot-ref':
      return {
        action,
        refName: required(object, 'ref-name', at, asString),
        snapshotId: required(object, 'snapshot-id', at, asLong),
        type: required(object, 'type', at, parseRefType),
        ...parseRefRetention(object, at),
      };
    case 'remove-snapshots':
      return { action, snapshotIds: required(object, 'snapshot-ids', at, arrayOf(asLong)) };
    case 'remove-snapshot-ref':
      return { action, refName: required(object, 'ref-name', at, asString) };
    case 'set-location':
      return { action, location: required(object, 'location', at, asString) };
    case 'set-properties':
      return { action, updates: required(object, 'updates', at, asStringMap) };
    case 'remove-properties':
      return { action, removals: required(object, 'removals', at, arrayOf(asString)) };
    default:
      throw new FloeError(
        'unsupported',
        `Table update action ${JSON.stringify(action)} is not supported by Floe (${childAt(at, 'action').path} in ${at.source})`,
        {
          context: { location: at.source, field: childAt(at, 'action').path },
        },
      );
  }
}

export function requirementToJson(requirement: TableRequirement): Record<string, unknown> {
  const { type } = requirement;
  switch (requirement.type) {
    case 'assert-create':
      return { type };
    case 'assert-table-uuid':
      return { type, uuid: requirement.uuid };
    case 'assert-ref-snapshot-id':
      return { type, ref: requirement.ref, 'snapshot-id': requirement.snapshotId };
    case 'assert-last-assigned-field-id':
      return { type, 'last-assigned-field-id': requirement.lastAssignedFieldId };
    case 'assert-current-schema-id':
      return { type, 'current-schema-id': requirement.currentSchemaId };
    case 'assert-last-assigned-partition-id':
      return { type, 'last-assigned-partition-id': requirement.lastAssignedPartitionId };
    case 'assert-default-spec-id':
      return { type, 'default-spec-id': requirement.defaultSpecId };
    case 'assert-default-sort-order-id':
      return { type, 'default-sort-order-id': requirement.defaultSortOrderId };
  }
}

export function requirementFromJson(value: unknown, at: JsonAt): TableRequirement {
  const object = asObject(value, at);
  const type = required(object, 'type', at, asString);
  switch (type) {
    case 'assert-create':
      return { type };
    case 'assert-table-uuid':
      return { type, uuid: required(object, 'uuid', at, asString) };
    case 'assert-ref-snapshot-id':
      return { type, ref: required(object, 'ref', at, asString), snapshotId: optional(object, 'snapshot-id', at, asLong) ?? null };
    case 'assert-last-assigned-field-id':
      return { type, lastAssignedFieldId: required(object, 'last-assigned-field-id', at, asInt) };
    case 'assert-current-schema-id':
      return { type, currentSchemaId: required(object, 'current-schema-id', at, asInt) };
    case 'assert-last-assigned-partition-id':
      return { type, lastAssignedPartitionId: required(object, 'last-assigned-partition-id', at, asInt) };
    case 'assert-default-spec-id':
      return { type, defaultSpecId: required(object, 'default-spec-id', at, asInt) };
    case 'assert-default-sort-order-id':
      return { type, defaultSortOrderId: required(object, 'default-sort-order-id', at, asInt) };
    default:
      throw new FloeError(
        'unsupported',
        `Table requirement ${JSON.stringify(type)} is not supported by Floe (${childAt(at, 'type').path} in ${at.source})`,
        {
          context: { location: at.source, field: childAt(at, 'type').path },
        },
      );
  }
}
