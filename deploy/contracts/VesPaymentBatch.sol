// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title VesPaymentBatch
/// @notice Settles ves-sequencer x402 payment batches on an EVM chain: records the batch's
///         Merkle root and state root (ves-crypto §10) and moves the batch's aggregated ERC-20
///         transfers in the same transaction, all or nothing.
/// @dev One record per batch id, never overwritten. Rules of settleBatch, in this order:
///      - the sender must be a settler the owner authorised (setSettlerAuthorization; the
///        constructor may authorise one) — "Not an authorized settler";
///      - the batch id must not be zero ("Zero batch id") nor settled before ("Batch already
///        settled");
///      - sequenceEnd >= sequenceStart ("Invalid sequence range"), paymentCount > 0 ("Empty
///        batch"), merkleRoot != 0 ("Empty merkle root");
///      - from, to and amounts have the same length ("Array length mismatch"), at most
///        paymentCount entries (transfers are aggregated payments: "More transfers than
///        payments"), and when there is any transfer the token must be a contract ("Token is
///        not a contract");
///      - each amounts[i] moves with token.transferFrom(from[i], to[i], amounts[i]) (payers
///        approve this contract beforehand); a transfer that reverts or returns false reverts
///        the whole batch with "Transfer <i> failed: <token's reason>".
///      The record is written before the transfers (checks-effects-interactions), so a token
///      that calls back cannot settle the same batch twice.
///      No per-stream sequence chaining, on purpose: an x402 stream's intents share one
///      sequence space across networks and explicit batches may pick any sequenced intents,
///      so batch ranges of one stream may interleave; and a batch refused now (say, a missing
///      allowance) must stay settleable after later batches. getLatestSequence reports the
///      highest settled sequenceEnd of a stream, for information only.
///      UUIDs are passed as bytes32: 16 UUID bytes followed by 16 zero bytes.
contract VesPaymentBatch {
    struct Settlement {
        bytes32 tenantId;
        bytes32 storeId;
        bytes32 merkleRoot;
        bytes32 stateRoot;
        uint64 sequenceStart;
        uint64 sequenceEnd;
        uint32 paymentCount;
        address token;
        uint256 transferCount;
        uint256 totalAmount;
        uint64 settledAt; ///< block timestamp; 0 = not settled
        uint64 blockNumber;
        address submitter;
    }

    event BatchSettled(
        bytes32 indexed batchId,
        bytes32 indexed tenantId,
        bytes32 storeId,
        bytes32 merkleRoot,
        bytes32 stateRoot,
        uint64 sequenceStart,
        uint64 sequenceEnd,
        uint32 paymentCount,
        address token,
        uint256 transferCount,
        uint256 totalAmount
    );
    event SettlerAuthorized(address indexed settler, bool authorized);
    event PayerStreamAuthorized(
        address indexed payer, bytes32 indexed tenantId, bytes32 indexed storeId, bool authorized
    );
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    mapping(bytes32 => Settlement) private settlements;
    /// @notice keccak256(tenantId || storeId) → highest sequenceEnd settled for the stream.
    mapping(bytes32 => uint64) public latestSequence;
    /// @notice Addresses allowed to call settleBatch.
    mapping(address => bool) public authorizedSettlers;
    /// @notice payer → keccak256(tenantId || storeId) → whether settlements of that stream may
    ///         move the payer's tokens. A token approval alone is not enough: an intent's
    ///         Ed25519 key is not bound to its payer address (VES x402 has no such binding), so
    ///         each payer names the streams it pays through.
    mapping(address => mapping(bytes32 => bool)) public payerStreams;
    uint256 public totalSettled;
    address public owner;

    modifier onlyOwner() {
        require(msg.sender == owner, "Not owner");
        _;
    }

    constructor(address initialSettler) {
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
        if (initialSettler != address(0)) {
            authorizedSettlers[initialSettler] = true;
            emit SettlerAuthorized(initialSettler, true);
        }
    }

    // -- administration ----------------------------------------------------------------------

    function setSettlerAuthorization(address settler, bool authorized) external onlyOwner {
        authorizedSettlers[settler] = authorized;
        emit SettlerAuthorized(settler, authorized);
    }

    function transferOwnership(address newOwner) external onlyOwner {
        require(newOwner != address(0), "Zero address");
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    // -- payers ------------------------------------------------------------------------------

    /// @notice The sender (a payer) lets settlements of stream (tenantId, storeId) move its
    ///         tokens, or stops them from doing so.
    function setPayerStream(bytes32 tenantId, bytes32 storeId, bool authorized) external {
        payerStreams[msg.sender][keccak256(abi.encodePacked(tenantId, storeId))] = authorized;
        emit PayerStreamAuthorized(msg.sender, tenantId, storeId, authorized);
    }

    function isPayerStream(address payer, bytes32 tenantId, bytes32 storeId)
        external
        view
        returns (bool)
    {
        return payerStreams[payer][keccak256(abi.encodePacked(tenantId, storeId))];
    }

    // -- settlement --------------------------------------------------------------------------

    function settleBatch(
        bytes32 batchId,
        bytes32 tenantId,
        bytes32 storeId,
        bytes32 merkleRoot,
        bytes32 stateRoot,
        uint64 sequenceStart,
        uint64 sequenceEnd,
        uint32 paymentCount,
        address token,
        address[] calldata from,
        address[] calldata to,
        uint256[] calldata amounts
    ) external {
        require(authorizedSettlers[msg.sender], "Not an authorized settler");
        require(batchId != bytes32(0), "Zero batch id");
        require(settlements[batchId].settledAt == 0, "Batch already settled");
        require(sequenceEnd >= sequenceStart, "Invalid sequence range");
        require(paymentCount > 0, "Empty batch");
        require(merkleRoot != bytes32(0), "Empty merkle root");
        uint256 n = from.length;
        require(to.length == n && amounts.length == n, "Array length mismatch");
        require(n <= paymentCount, "More transfers than payments");
        require(n == 0 || token.code.length > 0, "Token is not a contract");

        uint256 total = 0;
        for (uint256 i = 0; i < n; i++) total += amounts[i];

        settlements[batchId] = Settlement({
            tenantId: tenantId,
            storeId: storeId,
            merkleRoot: merkleRoot,
            stateRoot: stateRoot,
            sequenceStart: sequenceStart,
            sequenceEnd: sequenceEnd,
            paymentCount: paymentCount,
            token: token,
            transferCount: n,
            totalAmount: total,
            settledAt: uint64(block.timestamp),
            blockNumber: uint64(block.number),
            submitter: msg.sender
        });
        bytes32 key = keccak256(abi.encodePacked(tenantId, storeId));
        if (sequenceEnd > latestSequence[key]) latestSequence[key] = sequenceEnd;
        totalSettled++;

        for (uint256 i = 0; i < n; i++) {
            if (!payerStreams[from[i]][key]) {
                revert(
                    string.concat(
                        "Transfer ", _toString(i), " failed: payer has not authorised the stream"
                    )
                );
            }
            _transferFrom(token, i, from[i], to[i], amounts[i]);
        }

        emit BatchSettled(
            batchId,
            tenantId,
            storeId,
            merkleRoot,
            stateRoot,
            sequenceStart,
            sequenceEnd,
            paymentCount,
            token,
            n,
            total
        );
    }

    // -- queries -----------------------------------------------------------------------------

    function isSettled(bytes32 batchId) external view returns (bool) {
        return settlements[batchId].settledAt != 0;
    }

    /// @notice The stored record; all zero (settledAt == 0) for a batch never settled.
    function getSettlement(bytes32 batchId) external view returns (Settlement memory) {
        return settlements[batchId];
    }

    function getLatestSequence(bytes32 tenantId, bytes32 storeId) external view returns (uint64) {
        return latestSequence[keccak256(abi.encodePacked(tenantId, storeId))];
    }

    // -- internals ---------------------------------------------------------------------------

    /// token.transferFrom(from, to, amount); accepts tokens that return nothing, refuses a
    /// `false` return and passes the token's revert reason on.
    function _transferFrom(address token, uint256 index, address from, address to, uint256 amount)
        private
    {
        (bool ok, bytes memory ret) =
            token.call(abi.encodeWithSelector(0x23b872dd, from, to, amount));
        if (ok && (ret.length == 0 || (ret.length == 32 && abi.decode(ret, (bool))))) return;
        string memory why = ok ? "returned false" : _reason(ret);
        revert(string.concat("Transfer ", _toString(index), " failed: ", why));
    }

    /// The string of an Error(string) revert payload, or a generic text.
    function _reason(bytes memory ret) private pure returns (string memory) {
        if (ret.length < 68 || bytes4(ret) != 0x08c379a0) return "reverted";
        // Drop the selector: the payload's string encoding starts 4 bytes further on.
        assembly ("memory-safe") {
            let len := mload(ret)
            ret := add(ret, 4)
            mstore(ret, sub(len, 4))
        }
        return abi.decode(ret, (string));
    }

    function _toString(uint256 v) private pure returns (string memory) {
        if (v == 0) return "0";
        uint256 digits = 0;
        for (uint256 t = v; t != 0; t /= 10) digits++;
        bytes memory out = new bytes(digits);
        while (v != 0) {
            digits--;
            out[digits] = bytes1(uint8(48 + (v % 10)));
            v /= 10;
        }
        return string(out);
    }
}
