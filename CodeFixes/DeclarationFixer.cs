using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Text;

namespace InceptionGen.CodeFixes;

/// <summary>
/// One change to one declaration, found in the unchanged solution and applied with a <see cref="SyntaxEditor"/>.
/// The node is found again by its span and syntax type (a tree may be re-parsed between finding and applying), and
/// <see cref="Key"/> tells equal changes from different ones: a declaration that several diagnostics point at is
/// changed once.
/// </summary>
internal sealed class DeclarationEdit(DocumentId documentId, SyntaxNode node, string key, Action<SyntaxEditor, SyntaxNode> apply)
{
    public DocumentId DocumentId { get; } = documentId;
    public TextSpan Span { get; } = node.Span;
    public Type NodeType { get; } = node.GetType();
    public string Key { get; } = key;
    public Action<SyntaxEditor, SyntaxNode> Apply { get; } = apply;
}

/// <summary>A code fix found for one diagnostic: its title and its edits (in one document or several).</summary>
internal sealed record DeclarationFix(string Title, IReadOnlyList<DeclarationEdit> Edits);

/// <summary>
/// Base of the fixers whose fix is a set of declaration edits. One fix and a fix-all share the edits: fix-all gathers
/// the edits of every diagnostic in its scope from the unchanged solution and applies them together, once each, so
/// that fixes in one class or one declaration never see each other's half-done changes.
/// </summary>
public abstract class DeclarationFixer : CodeFixProvider
{
    /// <summary>The equivalence keys of the fixes offered for a diagnostic (one per kind of fix).</summary>
    internal abstract IEnumerable<string> EquivalenceKeys(Diagnostic diagnostic);

    /// <summary>The fix of kind <paramref name="equivalenceKey"/> for a diagnostic, or null when there is none to offer.</summary>
    internal abstract Task<DeclarationFix?> FindFixAsync(Document document, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken);

    /// <summary>The title of a fix-all of one kind.</summary>
    internal abstract string FixAllTitle(string equivalenceKey);

    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var solution = context.Document.Project.Solution;
        foreach (var diagnostic in context.Diagnostics)
        {
            foreach (var key in EquivalenceKeys(diagnostic))
            {
                var fix = await FindFixAsync(context.Document, diagnostic, key, context.CancellationToken).ConfigureAwait(false);
                if (fix is { Edits.Count: > 0 })
                {
                    context.RegisterCodeFix(CodeAction.Create(fix.Title, cancellationToken => ApplyAsync(solution, fix.Edits, cancellationToken), key), diagnostic);
                }
            }
        }
    }

    public sealed override FixAllProvider GetFixAllProvider() => new FixAllDeclarations(this);

    /// <summary>Applies edits found in <paramref name="solution"/>: one <see cref="SyntaxEditor"/> per document, each distinct edit once.</summary>
    internal static async Task<Solution> ApplyAsync(Solution solution, IEnumerable<DeclarationEdit> edits, CancellationToken cancellationToken)
    {
        var changed = solution;
        foreach (var group in edits.GroupBy(edit => edit.DocumentId))
        {
            var document = solution.GetDocument(group.Key);
            var root = document is null ? null : await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                continue;
            }

            var editor = new SyntaxEditor(root, solution.Services);
            var applied = new HashSet<(TextSpan, string)>();
            foreach (var edit in group.Where(edit => applied.Add((edit.Span, edit.Key))))
            {
                var node = root.FindNode(edit.Span, getInnermostNodeForTie: true)
                    .AncestorsAndSelf()
                    .FirstOrDefault(candidate => candidate.Span == edit.Span && candidate.GetType() == edit.NodeType);
                if (node is not null)
                {
                    edit.Apply(editor, node);
                }
            }

            changed = changed.WithDocumentSyntaxRoot(group.Key, editor.GetChangedRoot());
        }

        return changed;
    }

    private sealed class FixAllDeclarations(DeclarationFixer fixer) : FixAllProvider
    {
        public override IEnumerable<FixAllScope> GetSupportedFixAllScopes() => [FixAllScope.Document, FixAllScope.Project, FixAllScope.Solution];

        public override async Task<CodeAction?> GetFixAsync(FixAllContext context)
        {
            if (context.CodeActionEquivalenceKey is not { } key)
            {
                return null;
            }

            IEnumerable<Document> documents = context.Scope switch
            {
                FixAllScope.Document when context.Document is not null => [context.Document],
                FixAllScope.Project => context.Project.Documents,
                FixAllScope.Solution => context.Solution.Projects.SelectMany(project => project.Documents),
                _ => [],
            };

            var edits = new List<DeclarationEdit>();
            foreach (var document in documents)
            {
                foreach (var diagnostic in await context.GetDocumentDiagnosticsAsync(document).ConfigureAwait(false))
                {
                    if (fixer.EquivalenceKeys(diagnostic).Contains(key)
                        && await fixer.FindFixAsync(document, diagnostic, key, context.CancellationToken).ConfigureAwait(false) is { } fix)
                    {
                        edits.AddRange(fix.Edits);
                    }
                }
            }

            var solution = context.Solution;
            return edits.Count == 0 ? null : CodeAction.Create(fixer.FixAllTitle(key), cancellationToken => ApplyAsync(solution, edits, cancellationToken), key);
        }
    }
}
