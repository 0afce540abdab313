import type { Command } from 'commander';
import type { ApplyPlan, ApplyResult } from '../../features/registry-store/apply.js';
import { typeText } from '../../iceberg/spec/types.js';
import type { Redactor } from '../../core/redaction.js';

export function planCommand(program: Command, redactor: Redactor): void {
  program
    .command('plan')
    .description('Show what `floe apply` would change: definitions against the stored registry, and the online tables')
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--json', 'print the plan as JSON')
    .action(async (options: { project: string; json?: boolean }) => {
      const { loadProject } = await import('../../features/project.js');
      const { printResult } = await import('../output.js');
      const project = await loadProject(options.project, process.env, { redactor });
      const { planApply } = await import('../../features/registry-store/apply.js');
      const { openProjectCatalog } = await import('../../features/project-catalog.js');
      const catalog = await openProjectCatalog(project);
      try {
        const plan = await planApply({ config: project.config, registry: project.registry, catalog });
        printResult(redactor, plan, options, () => describePlan(plan));
        // Problems are reported, and make the exit code say the definitions cannot be applied.
        if (plan.problems.length > 0) process.exitCode = 2;
      } finally {
        await catalog.close();
      }
    });
}

/** The plan as a person reads it: `+` add or create, `~` change, `-` remove. */
export function describePlan(plan: ApplyPlan | ApplyResult): string {
  const lines: string[] = [];
  const applied = 'version' in plan;
  const target = applied ? plan.version : plan.fromVersion + 1;
  const nothing = plan.changes.length === 0 && plan.onlineTables.every((table) => table.action === 'unchanged');
  lines.push(
    `Registry ${plan.registryLocation}: ${plan.fromVersion === 0 ? 'nothing applied yet' : `v${plan.fromVersion}`}${nothing && plan.fromVersion > 0 ? ', up to date' : ` → v${target}${applied ? ' (written)' : ''}`}`,
  );
  const kinds = {
    entity: 'entity',
    source: 'source',
    pushSource: 'push source',
    streamSource: 'stream source',
    featureView: 'feature view',
    featureService: 'feature service',
    requestSource: 'request source',
    onDemandView: 'on-demand view',
  } as const;
  for (const change of plan.changes) {
    const mark = change.change === 'add' ? '+' : change.change === 'remove' ? '-' : '~';
    const details: string[] = [];
    if (change.featuresAdded?.length) details.push(`features added: ${change.featuresAdded.join(', ')}`);
    if (change.featuresRemoved?.length) details.push(`features removed: ${change.featuresRemoved.join(', ')}`);
    if (change.fields && details.length === 0) details.push(`changed: ${change.fields.join(', ')}`);
    lines.push(`  ${mark} ${kinds[change.kind]} ${change.name}${details.length > 0 ? ` (${details.join('; ')})` : ''}`);
  }
  if (plan.onlineTables.length > 0) lines.push('Online tables:');
  for (const table of plan.onlineTables) {
    if (table.action === 'create') lines.push(`  + ${table.table}: create (${table.columns.join(', ')})`);
    else if (table.action === 'unchanged') lines.push(`    ${table.table}: unchanged`);
    else {
      const parts = [
        ...table.add.map((column) => `add column ${column.name} ${typeText(column.type)}`),
        ...table.promote.map((column) => `promote ${column.name} ${column.from} → ${column.type}`),
        ...table.drop.map((column) => `drop column ${column}`),
        ...(table.sortBy.length > 0 ? [`sort new files by ${table.sortBy.join(', ')}`] : []),
        ...Object.entries(table.setProperties).map(([name, value]) => `set ${name}=${value}`),
      ];
      lines.push(`  ~ ${table.table}: ${parts.join(', ')}`);
      if (table.add.length > 0)
        lines.push(
          `    rows already materialized read null for ${table.add.map((column) => column.name).join(', ')} until their windows run again (floe backfill ${table.featureView} --start … --end … --again)`,
        );
    }
  }
  if (plan.problems.length > 0)
    lines.push('Problems (nothing can be applied until they are fixed):', ...plan.problems.map((problem) => `  ! ${problem}`));
  return lines.join('\n');
}
