// A behavioural stand-in for the systolic array, used only to test the Rust tiling driver
// (src/sim/systolic.rs) independently of the generated RTL: same ports and handshake as the
// array's contract (docs/systolic.md), but every PE sums its products at once (no skew), and a
// tile's rows come out on the R cycles right after its last beat is accepted.
//
// The extra input `fault` injects one protocol or data error so the driver's checks can be
// shown to fire (one build serves every case):
//   0 none, 1 row R-1 never valid (hang), 2 rows 0 and 1 swapped on out_row,
//   3 bit 0 of C[i][0] flipped, 4 in_ready ignores the spacing rule,
//   5 in_ready holds in_last back one cycle longer than the spacing rule needs.
module contract_stub #(
    parameter R = 2, parameter C = 2, parameter I = 8, parameter A = 32,
    parameter RB = 1
) (
    input  wire             clock,
    input  wire             reset,
    input  wire [2:0]       fault,
    input  wire             in_valid,
    output wire             in_ready,
    input  wire             in_first,
    input  wire             in_last,
    input  wire [R*I-1:0]   a_in,
    input  wire [C*I-1:0]   b_in,
    output wire             out_valid,
    output wire [RB-1:0]    out_row,
    output wire [C*A-1:0]   c_out
);
    localparam S = (R > C) ? R : C;
    wire fire = in_valid && in_ready;
    reg [15:0] since_last;
    reg seen_last;
    reg out_busy;
    reg [RB-1:0] row_cnt;
    wire [R*C*A-1:0] res_flat;

    assign in_ready = !in_last || !seen_last || fault == 3'd4
                      || (fault == 3'd5 ? since_last >= S + 1 : since_last >= S);

    always @(posedge clock) begin
        if (reset) begin
            since_last <= 16'd0;
            seen_last <= 1'b0;
            out_busy <= 1'b0;
            row_cnt <= {RB{1'b0}};
        end else begin
            if (fire && in_last) begin
                seen_last <= 1'b1;
                since_last <= 16'd1;
            end else if (since_last != 16'hffff) begin
                since_last <= since_last + 16'd1;
            end
            if (fire && in_last) begin
                out_busy <= 1'b1;
                row_cnt <= {RB{1'b0}};
            end else if (out_busy) begin
                if (row_cnt == R - 1) out_busy <= 1'b0;
                row_cnt <= row_cnt + 1'b1;
            end
        end
    end

    genvar gi, gj;
    generate
        for (gi = 0; gi < R; gi = gi + 1) begin : row
            for (gj = 0; gj < C; gj = gj + 1) begin : col
                reg signed [A-1:0] acc;
                reg [A-1:0] res;
                wire signed [I-1:0] av = a_in[gi*I +: I];
                wire signed [I-1:0] bv = b_in[gj*I +: I];
                wire signed [A-1:0] prod = av * bv;
                wire signed [A-1:0] next = (in_first ? {A{1'b0}} : acc) + prod;
                always @(posedge clock) begin
                    if (fire) acc <= next;
                    if (fire && in_last) res <= next;
                end
                assign res_flat[(gi*C+gj)*A +: A] = res;
            end
        end
    endgenerate

    wire [C*A-1:0] row_data = res_flat[row_cnt*C*A +: C*A];
    assign out_valid = out_busy && !(fault == 3'd1 && row_cnt == R - 1);
    assign out_row = (fault == 3'd2 && R > 1 && row_cnt < 2) ? (row_cnt ^ 1'b1) : row_cnt;
    assign c_out = (fault == 3'd3) ? (row_data ^ {{(C*A-1){1'b0}}, 1'b1}) : row_data;
endmodule
