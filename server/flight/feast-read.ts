import type * as arrow from 'apache-arrow';
import { tableIpcMessages } from '../../features/historical/arrow-ipc-stream.js';
import type { IpcMessageOut } from '../../features/historical/arrow-ipc-stream.js';
import type { FeatureContext } from '../../features/context.js';
import type { Caller } from '../auth/authenticator.js';
import type { FeastCommand } from './feast-command.js';
import { readApi } from './feast-command.js';
import { requireRead, requireSourceRead } from './flight-auth.js';
import { feastHistoricalRetrieval } from './historical-retrieval.js';
import { feastDataSource, sourceColumnsTable } from './source-columns.js';
import { feastSourcePull } from './source-pull.js';

/** A read Feast asked for, checked (API, references, the caller's permissions), ready to stream its IPC messages: a schema, then record batches. */
export interface FeastRead {
  stream(send: (message: IpcMessageOut) => Promise<void>): Promise<void>;
}

/** The read a command asks for, with the rows Feast uploaded with it; an API Floe does not answer is refused by name. */
export function feastRead(context: FeatureContext, command: FeastCommand, uploaded: arrow.Table, caller: Caller | undefined): FeastRead {
  switch (readApi(command)) {
    case 'get_historical_features': {
      const retrieval = feastHistoricalRetrieval(context, command, uploaded);
      requireRead(caller, retrieval.views);
      return retrieval;
    }
    case 'pull_latest_from_table_or_query':
    case 'pull_all_from_table_or_query': {
      const pull = feastSourcePull(context, command, command.api === 'pull_latest_from_table_or_query' ? 'latest' : 'all');
      requireSourceRead(caller, pull.source);
      return pull;
    }
    case 'get_table_column_names_and_types_from_data_source': {
      const source = feastDataSource(context, command);
      requireSourceRead(caller, source.name);
      return {
        stream: async (send) => {
          for (const message of tableIpcMessages(await sourceColumnsTable(context, source))) await send(message);
        },
      };
    }
  }
}
