/**
 * A stream's consumer group: its name when the definition gives none, and the check that it holds
 * the stream's topic alone.
 */
import { createHash } from 'node:crypto';
import type { GroupAssignment } from '@platformatic/kafka';
import { FloeError } from '../../core/errors.js';
import type { StreamSourceDefinition } from '../stream-source.js';

/** The stream's consumer group: its definition's `kafka.groupId`, else defaultGroupId. */
export function groupIdOf(stream: StreamSourceDefinition, sourceTableUuid: string): string {
  return stream.kafka.groupId ?? defaultGroupId(stream.name, stream.kafka.topic, sourceTableUuid);
}

/**
 * The consumer group of a stream whose definition names none: its name and a digest of its topic
 * and its source table's UUID. A group's members share its partitions, so the consumers of two
 * deployments landing one topic into tables of their own (staging beside production) must not meet
 * in one; nor may one group span two topics, as two projects' streams of one name did: the Kafka
 * client's assignor hands every member the leader's topics, and the other topic's consumer then
 * waits for messages that never come. The group holds no positions (those are in the tables), so
 * a new name loses nothing.
 */
export function defaultGroupId(stream: string, topic: string, sourceTableUuid: string): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([topic, sourceTableUuid]))
    .digest('hex')
    .slice(0, 12);
  return `floe-stream-${stream}-${digest}`;
}

/** An error when a member of the stream's group was assigned partitions of another topic: the group spans topics. */
export function groupSpanningTopics(
  assignments: readonly GroupAssignment[] | null,
  group: { readonly stream: string; readonly topic: string; readonly groupId: string },
): FloeError | undefined {
  const foreign = (assignments ?? [])
    .filter((assignment) => assignment.topic !== group.topic && assignment.partitions.length > 0)
    .map((assignment) => JSON.stringify(assignment.topic));
  if (foreign.length === 0) return undefined;
  return new FloeError(
    'invalid-input',
    `Stream ${group.stream}: its consumer group ${JSON.stringify(group.groupId)} is shared with consumers of topic ${foreign.join(', ')}, so this consumer would wait for partitions of ${JSON.stringify(group.topic)} that never come; give each topic's stream a group of its own (kafka.groupId), or leave it unset`,
    { context: { stream: group.stream, groupId: group.groupId, topic: group.topic } },
  );
}
