/**
 * The log grammar. It reads like the format: a log is lines; a line is an instruction (with an
 * optional state comment or appended jump state), a state, a path start, or one of the one-token
 * kinds. The parser builds nothing itself: each recognised line is handed to a `LineSink`
 * (model building lives in `builder.ts`), so the grammar stays the single place that says what
 * a line is.
 */
import { EmbeddedActionsParser, EOF, type IToken } from 'chevrotain';
import * as T from './lexer';

/** Receives each line the grammar recognised. Offsets are relative to the lexed chunk. */
export interface LineSink {
  insn(head: IToken, body: IToken | undefined, stateOpen: IToken | undefined, items: IToken[], rest: IToken | undefined): void;
  state(head: IToken, items: IToken[]): void;
  single(tok: IToken): void;
  blank(): void;
}


export class LogParser extends EmbeddedActionsParser {
  sink: LineSink | null = null;
  private items: IToken[] = [];

  constructor() {
    super(T.allTokens, { recoveryEnabled: false, skipValidations: true, maxLookahead: 2 });
    this.performSelfAnalysis();
  }

  public log = this.RULE('log', () => {
    this.MANY(() => this.SUBRULE(this.line));
  });

  private line = this.RULE('line', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.insnLine) },
      { ALT: () => this.SUBRULE(this.stateLine) },
      { ALT: () => this.SUBRULE(this.singleLine) },
      { ALT: () => { this.CONSUME(T.BlankLine); this.ACTION(() => this.sink!.blank()); } },
    ]);
  });

  private insnLine = this.RULE('insnLine', () => {
    const head = this.CONSUME(T.InsnHead);
    let body: IToken | undefined;
    let open: IToken | undefined;
    let rest: IToken | undefined;
    this.OPTION(() => { body = this.CONSUME(T.InsnBody); });
    this.OPTION2(() => {
      open = this.OR([
        { ALT: () => this.CONSUME(T.StateComment) },
        { ALT: () => this.CONSUME(T.JumpState) },
      ]);
      this.SUBRULE(this.stateItems);
    });
    this.OPTION3(() => { rest = this.CONSUME(T.InsnRest); });
    this.SUBRULE(this.lineEnd);
    this.ACTION(() => this.sink!.insn(head, body, open, this.items, rest));
  });

  private stateLine = this.RULE('stateLine', () => {
    const head = this.OR([
      { ALT: () => this.CONSUME(T.StateHead) },
      { ALT: () => this.CONSUME(T.PathStart) },
      { ALT: () => this.CONSUME(T.IndentState) },
      { ALT: () => this.CONSUME(T.BareState) },
    ]);
    this.SUBRULE(this.stateItems);
    this.SUBRULE(this.lineEnd);
    this.ACTION(() => this.sink!.state(head, this.items));
  });

  /** Register and stack assignments: any token of the `StateItem` category. */
  private stateItems = this.RULE('stateItems', () => {
    this.ACTION(() => { this.items = []; });
    this.MANY(() => {
      const tok = this.CONSUME(T.StateItem);
      this.ACTION(() => this.items.push(tok));
    });
  });

  private singleLine = this.RULE('singleLine', () => {
    const tok = this.OR([
      { ALT: () => this.CONSUME(T.SourceNote) },
      { ALT: () => this.CONSUME(T.FuncStart) },
      { ALT: () => this.CONSUME(T.LiveRegsHeader) },
      { ALT: () => this.CONSUME(T.LiveRegsRow) },
      { ALT: () => this.CONSUME(T.Prepass) },
      { ALT: () => this.CONSUME(T.Bookkeeping) },
      { ALT: () => this.CONSUME(T.GlobalFunc) },
      { ALT: () => this.CONSUME(T.CallReturn) },
      { ALT: () => this.CONSUME(T.Stats) },
      { ALT: () => this.CONSUME(T.DiagStart) },
      { ALT: () => this.CONSUME(T.LoaderLine) },
      { ALT: () => this.CONSUME(T.Text) },
    ]);
    this.ACTION(() => this.sink!.single(tok));
  });

  /** Insn and state modes end on their own newline token (which pops the lexer mode) or EOF. */
  private lineEnd = this.RULE('lineEnd', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Newline) },
      { ALT: () => this.CONSUME(EOF) },
    ]);
  });
}
